#!/usr/bin/env bash
# The two acceleration structures of one diffray binary on the same renders, in
# one run: the BVH (`--accel bvh`) against Embree (`--accel embree`).
#   instructions  valgrind --tool=callgrind, whole process and the render alone
#                 (Scene.render, inclusive), 1 thread: stable on a busy machine
#   CPU seconds   user + system of the whole process (/usr/bin/time), RUNS runs of
#                 each, BVH and Embree interleaved, medians; and the render's own
#                 M paths/s (`render --json`, wall clock), medians
#   image         mean relative error of Embree's image against the BVH's (diffray compare)
#   bench/accel-vs-accel.sh [RUNS]        (RUNS default 3; QUICK=1: Cornell box only, 1 run)
# Cases: Cornell box, scenes/meshes.xml, scenes/materials.xml, a heightfield of
# about 1M triangles (bench/heightfield.py; its PLY reading and build are in the
# whole-process figures). Valgrind 3.19 cannot read the DWARF 5 debug
# information of a release build: callgrind runs a copy made with `objcopy --strip-debug`.
set -euo pipefail
runs=${1:-3}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "accel-vs-accel.sh: RUNS must be a positive integer, got '$runs'" >&2; exit 2; }
source "$(dirname "$0")/common.sh"
command -v valgrind >/dev/null || { echo "accel-vs-accel.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
objcopy --strip-debug "$DIFFRAY" "$tmp/diffray"

# name | arguments for the instruction count | arguments for the timed runs
cases=("Cornell box|render scenes/cornell-box.xml --spp 4 -D res=64|render scenes/cornell-box.xml --spp 16 -D res=128")
if [[ ${QUICK:-0} == 1 ]]; then
  runs=1
else
  python3 bench/heightfield.py 1000000 "$tmp" 128 1 > "$tmp/triangles.txt"
  cases+=(
    "meshes|render scenes/meshes.xml --spp 1 -D width=200 -D height=150|render scenes/meshes.xml --spp 4"
    "materials|render scenes/materials.xml --spp 1 -D width=100 -D height=75|render scenes/materials.xml --spp 4"
    "heightfield, $(cat "$tmp/triangles.txt") triangles|render $tmp/scene.xml --spp 1|render $tmp/scene.xml --spp 4"
  )
fi
instructions() {  # kind, arguments...: instructions of the whole process and of Scene.render
  local kind=$1; shift
  local total
  total=$(valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$tmp/diffray" "$@" --accel "$kind" --threads 1 \
            --hdr "$tmp/cg.exr" 2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
  echo "$total $(callgrind_annotate --inclusive=yes "$tmp/cg.out" | grep -m1 'Scene.*6rendery7ImageIO' | awk '{gsub(",", "", $1); print $1}')"
}
timed() {  # kind, output, arguments...: "user+system seconds" "M paths/s" of one run
  local kind=$1 out=$2; shift 2
  /usr/bin/time -f "%U %S" -o "$tmp/time.txt" "$DIFFRAY" "$@" --accel "$kind" --threads 1 --hdr "$out" --json > "$tmp/run.json" 2>/dev/null
  echo "$(awk '{print $1 + $2}' "$tmp/time.txt") $(json_field paths_per_second < "$tmp/run.json")"
}
echo "| scene (1 thread) | instructions BVH | Embree | ratio | render alone BVH | Embree | ratio | CPU s BVH (median of $runs) | Embree | ratio | M paths/s BVH | Embree | ratio | Embree image vs BVH's |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for c in "${cases[@]}"; do
  IFS='|' read -r name count run <<<"$c"
  # shellcheck disable=SC2086
  read -r ib rb < <(instructions bvh $count)
  # shellcheck disable=SC2086
  read -r ie re < <(instructions embree $count)
  : > "$tmp/bvh.txt"; : > "$tmp/embree.txt"
  for _ in $(seq "$runs"); do
    # shellcheck disable=SC2086
    timed bvh "$tmp/bvh.exr" $run >> "$tmp/bvh.txt"
    # shellcheck disable=SC2086
    timed embree "$tmp/embree.exr" $run >> "$tmp/embree.txt"
  done
  sb=$(cut -d' ' -f1 "$tmp/bvh.txt" | median); se=$(cut -d' ' -f1 "$tmp/embree.txt" | median)
  pb=$(cut -d' ' -f2 "$tmp/bvh.txt" | median); pe=$(cut -d' ' -f2 "$tmp/embree.txt" | median)
  err=$("$DIFFRAY" compare "$tmp/embree.exr" "$tmp/bvh.exr" --json | json_field mean_relative \
        | python3 -c "import ast, sys; v = ast.literal_eval(sys.stdin.read()); print(f'mean relative error {sum(v) / len(v):.5f}')")
  python3 -c "import sys; n, ib, ie, rb, re_, sb, se, pb, pe, err = sys.argv[1:]; ib, ie, rb, re_ = int(ib), int(ie), int(rb), int(re_); \
sb, se, pb, pe = float(sb), float(se), float(pb) / 1e6, float(pe) / 1e6; \
print(f'| {n} | {ib / 1e6:,.1f} M | {ie / 1e6:,.1f} M | {ie / ib:.3f} | {rb / 1e6:,.1f} M | {re_ / 1e6:,.1f} M | {re_ / rb:.3f} | {sb:.2f} | {se:.2f} | {se / sb:.3f} | {pb:.3f} | {pe:.3f} | {pe / pb:.3f} | {err} |')" \
    "$name" "$ib" "$ie" "$rb" "$re" "$sb" "$se" "$pb" "$pe" "$err"
done
