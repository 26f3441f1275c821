#!/usr/bin/env bash
# Two builds of diffray on the same renders, in one run: instructions executed
# (valgrind --tool=callgrind, whole process, 1 thread: stable on a busy machine)
# and user CPU seconds (/usr/bin/time, RUNS runs of each, old and new
# interleaved, medians), then whether the two images are bit-identical (cmp).
#   bench/binary-vs-binary.sh OLD_DIFFRAY NEW_DIFFRAY [RUNS]     (RUNS default 3)
# Valgrind 3.19 cannot read the DWARF 5 debug information of a release build:
# both binaries are run under callgrind from copies made with `objcopy --strip-debug`.
set -euo pipefail
if (( $# < 2 || $# > 3 )); then
  echo "usage: bench/binary-vs-binary.sh OLD_DIFFRAY NEW_DIFFRAY [RUNS]" >&2
  exit 2
fi
old=$1; new=$2; runs=${3:-3}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "binary-vs-binary.sh: RUNS must be a positive integer, got '$runs'" >&2; exit 2; }
# The binaries as given from the caller's folder (common.sh moves to the package root).
old=$(realpath -m -- "$old"); new=$(realpath -m -- "$new")
source "$(dirname "$0")/common.sh"
for b in "$old" "$new"; do
  [[ -x $b ]] || { echo "binary-vs-binary.sh: $b is not an executable file" >&2; exit 2; }
done
command -v valgrind >/dev/null || { echo "binary-vs-binary.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
objcopy --strip-debug "$old" "$tmp/old"
objcopy --strip-debug "$new" "$tmp/new"

# name | arguments for the instruction count | arguments for the timed runs
cases=(
  "Cornell box 64², 4 spp|render scenes/cornell-box.xml --spp 4 -D res=64|render scenes/cornell-box.xml --spp 16 -D res=128"
  "meshes 200×150, 1 spp|render scenes/meshes.xml --spp 1 -D width=200 -D height=150|render scenes/meshes.xml --spp 4"
  "materials 100×75, 1 spp|render scenes/materials.xml --spp 1 -D width=100 -D height=75|render scenes/materials.xml --spp 4"
)
instructions() {  # binary, arguments...: instructions of the whole process
  local bin=$1; shift
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$bin" "$@" --threads 1 --hdr "$tmp/cg.exr" 2>&1 >/dev/null \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
seconds() {  # binary, output, arguments...: user CPU seconds of one run
  local bin=$1 out=$2; shift 2
  /usr/bin/time -f %U -o "$tmp/time.txt" "$bin" "$@" --threads 1 --hdr "$out" >/dev/null 2>&1
  cat "$tmp/time.txt"
}
echo "| render (1 thread) | instructions old | new | new / old | user s old (median of $runs) | new | new / old | image |"
echo "|---|---:|---:|---:|---:|---:|---:|---|"
for c in "${cases[@]}"; do
  IFS='|' read -r name count timed <<<"$c"
  # shellcheck disable=SC2086
  io=$(instructions "$tmp/old" $count); in=$(instructions "$tmp/new" $count)
  : > "$tmp/old.txt"; : > "$tmp/new.txt"
  for _ in $(seq "$runs"); do
    # shellcheck disable=SC2086
    seconds "$old" "$tmp/old.exr" $timed >> "$tmp/old.txt"
    # shellcheck disable=SC2086
    seconds "$new" "$tmp/new.exr" $timed >> "$tmp/new.txt"
  done
  so=$(median < "$tmp/old.txt"); sn=$(median < "$tmp/new.txt")
  same=$(cmp -s "$tmp/old.exr" "$tmp/new.exr" && echo "bit-identical" || echo "differs")
  python3 -c "import sys; n, io, i1, so, s1, same = sys.argv[1:]; io, i1, so, s1 = int(io), int(i1), float(so), float(s1); \
print(f'| {n} | {io / 1e6:,.1f} M | {i1 / 1e6:,.1f} M | {i1 / io:.3f} | {so:.2f} | {s1:.2f} | {s1 / so:.3f} | {same} |')" \
    "$name" "$io" "$in" "$so" "$sn" "$same"
done
