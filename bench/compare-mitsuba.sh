#!/usr/bin/env bash
# Throughput of DiffRay against Mitsuba 3 (llvm_ad_rgb) on the same scene, in one run.
#   bench/compare-mitsuba.sh SCENE.xml [SPP] [RUNS] [-D name=value]...
# DiffRay: `diffray render --json` RUNS times (after one warm-up), median paths/s.
# Mitsuba: `mitsuba-ref time --runs RUNS` (its first, compiling run is not counted), median paths/s.
# Both use all cores and the scene's own resolution and max_depth. Prints both and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
scene=${1:?usage: bench/compare-mitsuba.sh SCENE.xml [SPP] [RUNS] [-D name=value]...}
spp=${2:-64}
runs=${3:-5}
shift $(( $# < 3 ? $# : 3 ))
defines=("$@")
DIFFRAY=${DIFFRAY:-.build/release/diffray}
MITSUBA=${MITSUBA_REF:-$(cd .. && pwd)/shared/tools/mitsuba-ref}
[[ -x $MITSUBA ]] || MITSUBA=/work/shared/tools/mitsuba-ref
if [[ ! -x $DIFFRAY ]]; then
  swift build -c release --product diffray >&2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
field() { python3 -c "import json, sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])['$1'])"; }

"$DIFFRAY" render "$scene" --spp "$spp" "${defines[@]}" --hdr "$tmp/warmup.exr" >/dev/null 2>&1
for i in $(seq "$runs"); do
  "$DIFFRAY" render "$scene" --spp "$spp" --seed "$i" "${defines[@]}" --hdr "$tmp/out.exr" --json 2>/dev/null | field paths_per_second
done > "$tmp/diffray.txt"
dr=$(median < "$tmp/diffray.txt")

mi_json=$("$MITSUBA" time "$scene" --spp "$spp" --runs "$runs" "${defines[@]}" 2>/dev/null | tail -n 1)
mi=$(echo "$mi_json" | field paths_per_second)
size=$(echo "$mi_json" | python3 -c "import json, sys; j = json.loads(sys.stdin.read()); print('%dx%d' % (j['width'], j['height']))")

python3 - "$scene" "$size" "$spp" "$runs" "$dr" "$mi" "$(nproc)" <<'PY'
import sys
scene, size, spp, runs, dr, mi, cores = sys.argv[1:]
dr, mi = float(dr), float(mi)
print(f"scene {scene}, {size}, {spp} spp, median of {runs} runs, {cores} cores")
print(f"diffray:   {dr / 1e6:8.3f} M paths/s")
print(f"mitsuba 3: {mi / 1e6:8.3f} M paths/s (llvm_ad_rgb)")
print(f"ratio diffray / mitsuba: {dr / mi:.2f}x")
PY
