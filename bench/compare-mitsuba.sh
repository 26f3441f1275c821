#!/usr/bin/env bash
# Throughput of DiffRay against Mitsuba 3 (llvm_ad_rgb) on the same scene, in one run.
#   bench/compare-mitsuba.sh SCENE.xml [SPP] [RUNS] [-D name=value]...
# DiffRay: `diffray render --json` RUNS times (after one warm-up), median paths/s.
# Mitsuba: `mitsuba-ref time --runs RUNS` (its first, compiling run is not counted), median paths/s;
# skipped, with a note, when the tool is absent ($MITSUBA_REF, default ../shared/tools/mitsuba-ref).
# Both use all cores and the scene's own resolution and max_depth. Prints both and the ratio.
set -euo pipefail
source "$(dirname "$0")/common.sh"
scene=${1:?usage: bench/compare-mitsuba.sh SCENE.xml [SPP] [RUNS] [-D name=value]...}
spp=${2:-64}
runs=${3:-5}
shift $(( $# < 3 ? $# : 3 ))
defines=("$@")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$DIFFRAY" render "$scene" --spp "$spp" "${defines[@]}" --hdr "$tmp/warmup.exr" >/dev/null 2>&1
for i in $(seq "$runs"); do
  "$DIFFRAY" render "$scene" --spp "$spp" --seed "$i" "${defines[@]}" --hdr "$tmp/out.exr" --json 2>/dev/null \
    | tail -n 1 > "$tmp/run.json"
  json_field paths_per_second < "$tmp/run.json"
done > "$tmp/diffray.txt"
dr=$(median < "$tmp/diffray.txt")
size=$(python3 -c "import json, sys; j = json.load(open(sys.argv[1])); print('%dx%d' % (j['width'], j['height']))" "$tmp/run.json")

mi=""
if [[ -n $MITSUBA ]]; then
  mi=$("$MITSUBA" time "$scene" --spp "$spp" --runs "$runs" "${defines[@]}" 2>/dev/null | json_field paths_per_second)
fi

python3 - "$scene" "$size" "$spp" "$runs" "$dr" "$mi" "$(nproc)" <<'PY'
import sys
scene, size, spp, runs, dr, mi, cores = sys.argv[1:]
dr = float(dr)
print(f"scene {scene}, {size}, {spp} spp, median of {runs} runs, {cores} cores")
print(f"diffray:   {dr / 1e6:8.3f} M paths/s")
if mi:
    mi = float(mi)
    print(f"mitsuba 3: {mi / 1e6:8.3f} M paths/s (llvm_ad_rgb)")
    print(f"ratio diffray / mitsuba: {dr / mi:.2f}x")
else:
    print("mitsuba 3: skipped (no mitsuba-ref: set MITSUBA_REF or put it at ../shared/tools/mitsuba-ref)")
PY
