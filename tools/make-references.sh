#!/usr/bin/env bash
# Regenerates the Mitsuba 3 reference images of the render tests (Tests/RenderTests/MitsubaReferenceTests.swift):
#   Tests/Fixtures/references/<name>.exr  for every Tests/Fixtures/scenes/<name>.xml
#                                         and for the three scenes of scenes/ at small resolution.
# Needs ../shared/tools/mitsuba-ref (Mitsuba 3.9.1, llvm_ad_rgb). The tests never call it.
#   tools/make-references.sh            all references
#   tools/make-references.sh NAME...    only these (e.g. bsdf-plastic materials)
#   tools/make-references.sh published  only the published Mitsuba scenes of scenes/published/:
#                                       Tests/Fixtures/references/published-<name>.exr, rendered small by
#                                       tools/published_references.py (SPP 4096 unless SPP is set); it also
#                                       prints the RGB Mitsuba makes of the spectra SceneFileTests checks
# Scenes are regenerated first by tools/make-test-scenes.py (pure Python), the published
# scenes' stand-in assets by tools/make-published-assets.py (pure Python).
set -euo pipefail
cd "$(dirname "$0")/.."
MITSUBA=${MITSUBA_REF:-$(cd .. && pwd)/shared/tools/mitsuba-ref}
[[ -x $MITSUBA ]] || MITSUBA=/work/shared/tools/mitsuba-ref
out=Tests/Fixtures/references
mkdir -p "$out"
if [[ ${1:-} == published ]]; then
  python3 tools/make-published-assets.py >/dev/null
  # The same virtual environment as mitsuba-ref (it builds it on first use).
  "$MITSUBA" --help >/dev/null 2>&1 || true
  home=${DIFFRAY_ANCHORS:-$HOME/.cache/diffray-anchors}
  DRJIT_LIBLLVM_PATH=$(find "$home/venv" -name 'libLLVM.so*' | head -n 1) \
    "$home/venv/bin/python" tools/published_references.py "$out" "${SPP:-4096}" "${@:2}"
  exit 0
fi
SPP=${SPP:-16384}
python3 tools/make-test-scenes.py

# name | scene file | -D overrides (the scenes of scenes/ at a small resolution)
table() {
  for f in Tests/Fixtures/scenes/*.xml; do
    n=$(basename "$f" .xml)
    echo "$n|$f|"
  done
  echo "cornell-box|scenes/cornell-box.xml|-D res=24 -D max_depth=8"
  echo "materials|scenes/materials.xml|-D width=48 -D height=20"
  echo "meshes|scenes/meshes.xml|-D width=32 -D height=24"
}

table | while IFS='|' read -r name file defines; do
  if [[ $# -gt 0 ]] && [[ ! " $* " == *" $name "* ]]; then continue; fi
  # shellcheck disable=SC2086
  "$MITSUBA" render "$file" "$out/$name.exr.tmp.exr" --spp "$SPP" $defines >/dev/null
  mv "$out/$name.exr.tmp.exr" "$out/$name.exr"
  echo "$name: $(du -h "$out/$name.exr" | cut -f1)"
done
