#!/usr/bin/env bash
# Builds one libFuzzer binary per Fuzz/Targets/NAME.swift (or the NAMEs given) into
# .build-fuzz/fuzz-NAME: the library modules are compiled by SwiftPM with
# -sanitize=fuzzer (coverage) and AddressSanitizer into .build-fuzz, then each target
# file, with Fuzz/FuzzCheck.swift, is linked against their objects by swiftc.
#
# Adding a reader: one file Fuzz/Targets/NAME.swift defining LLVMFuzzerTestOneInput
# (copy obj.swift), seeds in Fuzz/Corpus/NAME/, optionally Fuzz/Dictionaries/NAME.dict.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${FUZZ_SCRATCH:-.build-fuzz}
SANITIZERS=${FUZZ_SANITIZERS:-fuzzer,address}
CLANG_SANITIZERS=$(echo "$SANITIZERS" | sed 's/fuzzer/fuzzer-no-link/')
# FUZZ_SKIP_LIBRARY_BUILD=1 relinks the targets against the libraries already built.
if [ -z "${FUZZ_SKIP_LIBRARY_BUILD:-}" ]; then
    swift build -c release --scratch-path "$SCRATCH" --target DiffRay \
        -Xswiftc "-sanitize=$SANITIZERS" -Xcc "-fsanitize=$CLANG_SANITIZERS"
fi
BIN="$SCRATCH/release"
MODULES="Autodiff ImageIO Geometry SceneFile Render Learning Control Pixels Cluster DiffRay CSupport CMPI"
OBJECTS=()
# A Swift module's objects are those its output file map names (a file that moved
# to another module leaves a stale object behind); a C module's are all it holds.
for m in $MODULES; do
    map="$BIN/$m.build/output-file-map.json"
    if [ -f "$map" ]; then
        while IFS= read -r o; do OBJECTS+=("$o"); done < <(python3 -c '
import json, os, sys
for entry in json.load(open(sys.argv[1])).values():
    o = entry.get("object")
    if o and os.path.exists(o): print(o)' "$map" | sort -u)
    else
        while IFS= read -r o; do OBJECTS+=("$o"); done < <(find "$BIN/$m.build" -name '*.o' | sort)
    fi
done
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in Fuzz/Targets/*.swift; do targets+=("$(basename "$f" .swift)"); done
fi
for name in "${targets[@]}"; do
    echo "linking $SCRATCH/fuzz-$name"
    swiftc -O -sanitize="$SANITIZERS" -parse-as-library -module-name "Fuzz_${name//-/_}" \
        -I "$BIN/Modules" \
        -Xcc -fmodule-map-file=Sources/CPNG/module.modulemap \
        -Xcc -fmodule-map-file=Sources/COpenEXR/module.modulemap \
        -Xcc -fmodule-map-file=Sources/CJPEG/module.modulemap \
        -Xcc -fmodule-map-file=Sources/CZlib/module.modulemap \
        -Xcc -fmodule-map-file="$BIN/CSupport.build/module.modulemap" \
        -Xcc -fmodule-map-file="$BIN/CMPI.build/module.modulemap" \
        -Xcc -I -Xcc Sources/CSupport/include -Xcc -I -Xcc Sources/CMPI/include \
        $(pkg-config --cflags-only-I OpenEXR libpng 2>/dev/null | sed 's/-I/-Xcc -I/g') \
        "Fuzz/Targets/$name.swift" Fuzz/FuzzCheck.swift "${OBJECTS[@]}" \
        -lpng16 -lOpenEXRCore-3_1 -ljpeg -lz -o "$SCRATCH/fuzz-$name" 2>&1 | { grep -v "Cannot export local symbol" || true; }
done
