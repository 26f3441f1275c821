#!/usr/bin/env bash
# The renderer's speed table, in one run: bench/compare-mitsuba.sh (DiffRay against
# Mitsuba 3 llvm_ad_rgb, median paths/s) on scenes/cornell-box.xml, scenes/materials.xml,
# scenes/meshes.xml and a heightfield of about 1M triangles (bench/heightfield.py, 256x256),
# then DiffRay's paths/s on the Cornell box at 2 threads against 1 (medians, runs interleaved).
#   bench/speed-table.sh [SPP] [RUNS]          (defaults 64 5)
set -euo pipefail
source "$(dirname "$0")/common.sh"
spp=${1:-64}; runs=${2:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 bench/heightfield.py 1000000 "$tmp" 256 "$spp" > "$tmp/triangles.txt"
rows=()
for scene in scenes/cornell-box.xml scenes/materials.xml scenes/meshes.xml "$tmp/scene.xml"; do
  bench/compare-mitsuba.sh "$scene" "$spp" "$runs" | tee "$tmp/row.txt"
  name=$scene; [[ $scene == "$tmp/scene.xml" ]] && name="heightfield, $(cat "$tmp/triangles.txt") triangles"
  rows+=("$(python3 - "$name" "$tmp/row.txt" <<'PY'
import re, sys
text = open(sys.argv[2]).read()
dr = re.search(r"diffray:\s+([\d.]+)", text).group(1)
mi = re.search(r"mitsuba 3:\s+([\d.]+)", text)
ratio = re.search(r"ratio diffray / mitsuba: ([\d.]+)x", text)
print(f"| {sys.argv[1]} | {dr} | {mi.group(1) if mi else '-'} | {ratio.group(1) + 'x' if ratio else '-'} |")
PY
)")
done
for i in $(seq "$runs"); do
  for t in 1 2; do
    "$DIFFRAY" render scenes/cornell-box.xml --spp "$spp" --seed "$i" --threads "$t" --hdr "$tmp/t.exr" --json 2>/dev/null \
      | json_field paths_per_second >> "$tmp/threads$t.txt"
  done
done
one=$(median < "$tmp/threads1.txt"); two=$(median < "$tmp/threads2.txt")
echo
echo "| scene ($spp spp, median of $runs, $(nproc) cores) | DiffRay M paths/s | Mitsuba 3 M paths/s | ratio |"
echo "|---|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
python3 -c "import sys; a, b = map(float, sys.argv[1:]); print(f'threads (Cornell box): {a / 1e6:.3f} M paths/s on 1, {b / 1e6:.3f} M on 2: {b / a:.2f}x')" "$one" "$two"
