#!/usr/bin/env bash
# Regenerates the Mitsuba 3 reference images of the render tests (Tests/RenderTests/MitsubaReferenceTests.swift):
#   Tests/Fixtures/references/<name>.exr  for every Tests/Fixtures/scenes/<name>.xml
#                                         and for the three scenes of scenes/ at small resolution.
# Needs ../shared/tools/mitsuba-ref (Mitsuba 3.9.1, llvm_ad_rgb). The tests never call it.
#   tools/make-references.sh            all references
#   tools/make-references.sh NAME...    only these (e.g. bsdf-plastic materials)
#   tools/make-references.sh published  only the published Mitsuba scenes of scenes/published/:
#                                       Tests/Fixtures/references/published-<name>.exr and -var.exr, rendered
#                                       small by tools/published_references.py (SPP 65536 unless SPP is set);
#                                       it also prints the RGB Mitsuba makes of the spectra SceneFileTests checks
#   tools/make-references.sh motion     only the published motion-blur and rolling-shutter scenes, which
#                                       Mitsuba 3.9.1 cannot load: published-<name>.exr and -var.exr made by
#                                       tools/motion_references.py from Mitsuba's static renders at instants
#                                       drawn over the shutter (SPP 65536 unless SPP is set)
# The references of Tests/Fixtures/scenes and scenes/ are 16 passes (tools/mitsuba_passes.py): <name>.exr
# their mean, <name>-var.exr the variance of that mean, which the tests' z-test uses.
#   environment: SPP (16384), OUT (Tests/Fixtures/references), MITSUBA_REF (the tool's path)
# Scenes are regenerated first by tools/make-test-scenes.py (pure Python), the published
# scenes' stand-in assets by tools/make-published-assets.py (pure Python). Without the
# Mitsuba tool only those steps run, and the script says so.
set -euo pipefail
cd "$(dirname "$0")/.."
MITSUBA=${MITSUBA_REF:-$(cd .. && pwd)/shared/tools/mitsuba-ref}
out=${OUT:-Tests/Fixtures/references}
# Python with Mitsuba: the same virtual environment as mitsuba-ref (it builds it on first use).
mitsuba_python() {
  "$MITSUBA" --help >/dev/null 2>&1 || true
  local home=${DIFFRAY_ANCHORS:-$HOME/.cache/diffray-anchors}
  DRJIT_LIBLLVM_PATH=$(find "$home/venv" -name 'libLLVM.so*' | head -n 1) "$home/venv/bin/python" "$@"
}
if [[ ${1:-} == published || ${1:-} == motion ]]; then
  python3 tools/make-published-assets.py >/dev/null
  if [[ ! -x $MITSUBA ]]; then
    echo "references: skipped (no mitsuba-ref at $MITSUBA: set MITSUBA_REF)"
    exit 0
  fi
  mkdir -p "$out"
  script=tools/published_references.py
  [[ $1 == motion ]] && script=tools/motion_references.py
  mitsuba_python "$script" "$out" "${SPP:-65536}" "${@:2}"
  exit 0
fi
SPP=${SPP:-16384}
python3 tools/make-test-scenes.py
if [[ ! -x $MITSUBA ]]; then
  echo "references: skipped (no mitsuba-ref at $MITSUBA: set MITSUBA_REF)"
  exit 0
fi
mkdir -p "$out"

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
  # 16 passes: the mean and its variance (<name>-var.exr) for the z-test.
  # shellcheck disable=SC2086
  mitsuba_python tools/mitsuba_passes.py "$file" "$out/$name.tmp.exr" "$SPP" ${defines//-D /} >/dev/null
  mv "$out/$name.tmp-var.exr" "$out/$name-var.exr"
  mv "$out/$name.tmp.exr" "$out/$name.exr"
  echo "$name: $(du -h "$out/$name.exr" | cut -f1)"
done

# The plugin scenes of docs/plugins.md (Tests/RenderTests/PluginTests.swift):
#   Tests/Fixtures/plugin-references/<name>.exr  for every Tests/Fixtures/plugin-scenes/<name>.xml
# (written by tools/make-plugin-scenes.py; the same NAME filter applies).
python3 tools/make-plugin-scenes.py
pout=Tests/Fixtures/plugin-references
mkdir -p "$pout"
for f in Tests/Fixtures/plugin-scenes/*.xml; do
  name=$(basename "$f" .xml)
  if [[ $# -gt 0 ]] && [[ ! " $* " == *" $name "* ]]; then continue; fi
  if [[ $name == integrator-moment ]]; then
    # The film has 9 channels (RGB, the nested value, its second moment): keep RGB.
    "${DIFFRAY_ANCHORS:-$HOME/.cache/diffray-anchors}/venv/bin/python" tools/mitsuba-rgb-reference.py \
      "$f" "$pout/$name.exr.tmp.exr" "$SPP" >/dev/null
  else
    "$MITSUBA" render "$f" "$pout/$name.exr.tmp.exr" --spp "$SPP" >/dev/null
  fi
  mv "$pout/$name.exr.tmp.exr" "$pout/$name.exr"
  echo "$name: $(du -h "$pout/$name.exr" | cut -f1)"
done
