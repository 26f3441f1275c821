#!/usr/bin/env bash
# Two variants of one diffray binary's `render` on the same scenes, in one run:
# A and B are each a label and the options that select the variant, as
# "label:options" (`accel-vs-accel.sh`: "BVH:--accel bvh" "Embree:--accel embree";
# `precision-vs-precision.sh`: "double:--precision double" "single:--precision single").
#   instructions  valgrind --tool=callgrind, whole process and the render alone
#                 (the tiled render loop, `Scene.renderTiles`, inclusive), 1 thread:
#                 stable on a busy machine
#   CPU seconds   user + system of the whole process (/usr/bin/time), RUNS runs of
#                 each, A and B interleaved, medians; and the render's own
#                 M paths/s (`render --json`, wall clock), medians
#   image         mean relative error of B's image against A's (diffray compare)
#   bench/variant-vs-variant.sh "A:OPTIONS" "B:OPTIONS" [RUNS]   (RUNS default 3; QUICK=1: Cornell box only, 1 run;
#                                                               SMALL=1: no heightfield)
# Cases: Cornell box, scenes/meshes.xml, scenes/materials.xml, a heightfield of
# about 1M triangles (bench/heightfield.py; its PLY reading and build are in the
# whole-process figures, and take most of an hour under callgrind on a busy machine). Valgrind 3.19 cannot read the DWARF 5 debug
# information of a release build: callgrind runs a copy made with `objcopy --strip-debug`.
set -euo pipefail
if (( $# < 2 || $# > 3 )) || [[ $1 != *:* || $2 != *:* ]]; then
  echo "usage: bench/variant-vs-variant.sh \"A:OPTIONS\" \"B:OPTIONS\" [RUNS]" >&2
  exit 2
fi
la=${1%%:*}; oa=${1#*:}; lb=${2%%:*}; ob=${2#*:}; runs=${3:-3}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "variant-vs-variant.sh: RUNS must be a positive integer, got '$runs'" >&2; exit 2; }
source "$(dirname "$0")/common.sh"
command -v valgrind >/dev/null || { echo "variant-vs-variant.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
objcopy --strip-debug "$DIFFRAY" "$tmp/diffray"

# name | arguments for the instruction count | arguments for the timed runs
cases=("Cornell box|render scenes/cornell-box.xml --spp 4 -D res=64|render scenes/cornell-box.xml --spp 16 -D res=128")
if [[ ${QUICK:-0} == 1 ]]; then
  runs=1
else
  cases+=(
    "meshes|render scenes/meshes.xml --spp 1 -D width=200 -D height=150|render scenes/meshes.xml --spp 4"
    "materials|render scenes/materials.xml --spp 1 -D width=100 -D height=75|render scenes/materials.xml --spp 4"
  )
  if [[ ${SMALL:-0} != 1 ]]; then
    python3 bench/heightfield.py 1000000 "$tmp" 128 1 > "$tmp/triangles.txt"
    cases+=("heightfield, $(cat "$tmp/triangles.txt") triangles|render $tmp/scene.xml --spp 1|render $tmp/scene.xml --spp 4")
  fi
fi
instructions() {  # variant options, arguments...: instructions of the whole process and of the render loop
  local options=$1; shift
  local total
  # shellcheck disable=SC2086
  total=$(valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$tmp/diffray" "$@" $options --threads 1 \
            --hdr "$tmp/cg.exr" 2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
  echo "$total $(callgrind_annotate --inclusive=yes "$tmp/cg.out" | grep -m1 'Scene.*11renderTiles' | awk '{gsub(",", "", $1); print $1}')"
}
timed() {  # variant options, output, arguments...: "user+system seconds" "M paths/s" of one run
  local options=$1 out=$2; shift 2
  # shellcheck disable=SC2086
  /usr/bin/time -f "%U %S" -o "$tmp/time.txt" "$DIFFRAY" "$@" $options --threads 1 --hdr "$out" --json > "$tmp/run.json" 2>/dev/null
  echo "$(awk '{print $1 + $2}' "$tmp/time.txt") $(json_field paths_per_second < "$tmp/run.json")"
}
echo "| scene (1 thread) | instructions $la | $lb | ratio | render alone $la | $lb | ratio | CPU s $la (median of $runs) | $lb | ratio | M paths/s $la | $lb | ratio | $lb image vs $la's |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for c in "${cases[@]}"; do
  IFS='|' read -r name count run <<<"$c"
  # shellcheck disable=SC2086
  read -r ia ra < <(instructions "$oa" $count)
  # shellcheck disable=SC2086
  read -r ib rb < <(instructions "$ob" $count)
  : > "$tmp/a.txt"; : > "$tmp/b.txt"
  for _ in $(seq "$runs"); do
    # shellcheck disable=SC2086
    timed "$oa" "$tmp/a.exr" $run >> "$tmp/a.txt"
    # shellcheck disable=SC2086
    timed "$ob" "$tmp/b.exr" $run >> "$tmp/b.txt"
  done
  sa=$(cut -d' ' -f1 "$tmp/a.txt" | median); sb=$(cut -d' ' -f1 "$tmp/b.txt" | median)
  pa=$(cut -d' ' -f2 "$tmp/a.txt" | median); pb=$(cut -d' ' -f2 "$tmp/b.txt" | median)
  err=$("$DIFFRAY" compare "$tmp/b.exr" "$tmp/a.exr" --json | json_field mean_relative \
        | python3 -c "import ast, sys; v = ast.literal_eval(sys.stdin.read()); print(f'mean relative error {sum(v) / len(v):.5f}')")
  python3 -c "import sys; n, ia, ib, ra, rb, sa, sb, pa, pb, err = sys.argv[1:]; ia, ib, ra, rb = int(ia), int(ib), int(ra), int(rb); \
sa, sb, pa, pb = float(sa), float(sb), float(pa) / 1e6, float(pb) / 1e6; \
print(f'| {n} | {ia / 1e6:,.1f} M | {ib / 1e6:,.1f} M | {ib / ia:.3f} | {ra / 1e6:,.1f} M | {rb / 1e6:,.1f} M | {rb / ra:.3f} | {sa:.2f} | {sb:.2f} | {sb / sa:.3f} | {pa:.3f} | {pb:.3f} | {pb / pa:.3f} | {err} |')" \
    "$name" "$ia" "$ib" "$ra" "$rb" "$sa" "$sb" "$pa" "$pb" "$err"
done
