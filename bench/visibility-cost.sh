#!/usr/bin/env bash
# What each case of the visibility test family (the cases of
# bench/visibility-family.sh) costs: the CPU time of `grad SCENE --param KEY
# --spp SPP --seed 1` over that of `render SCENE --spp SPP --seed 1`, both on one
# thread (the `cpu_seconds` of their `--json` lines: the work, loading and the
# acceleration structure's build left out), ROUNDS rounds with the render and the
# gradient interleaved, medians. One thread keeps the other core's jobs out of the
# figure as far as a shared machine allows; the ratio of one run is what to read.
# Prints a markdown table, the median ratio and how many cases cost at most 3×.
#   bench/visibility-cost.sh [SPP] [ROUNDS] [RES]
#   (defaults 64 5 32; CASES in the environment, a regular expression picking
#   cases by name, as for visibility-family.sh)
set -euo pipefail
spp=${1:-64}; rounds=${2:-5}; res=${3:-32}
for n in "$spp" "$rounds" "$res"; do
  [[ $n =~ ^[1-9][0-9]{0,6}$ ]] || { echo "visibility-cost.sh: SPP, ROUNDS and RES must be positive integers, got '$n'" >&2; exit 2; }
done
(( res <= 1024 )) || { echo "visibility-cost.sh: RES must be at most 1024, got $res" >&2; exit 2; }
source "$(dirname "$0")/common.sh"
# The family's cases, read from the heredoc of visibility-family.sh: name | scene | key | h | Mitsuba id.
cases=$(sed -n "/^cases=\$(cat <<'EOF'$/,/^EOF$/p" bench/visibility-family.sh | sed '1d;$d')
[[ -n $cases ]] || { echo "visibility-cost.sh: found no cases in bench/visibility-family.sh" >&2; exit 2; }
if [[ -n ${CASES:-} ]]; then
  cases=$(grep -E -- "^[^|]*(${CASES})" <<< "$cases" || true)
  [[ -n $cases ]] || { echo "visibility-cost.sh: no case matches CASES='$CASES'" >&2; exit 2; }
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
load_before=$(cut -d' ' -f1 /proc/loadavg)
cpu() {  # the cpu_seconds of a diffray command's JSON line; on failure its last error line, and exit 2
  if ! "$DIFFRAY" "$@" -D "res=$res" --threads 1 --json 2>"$tmp/err" | tail -n 1 > "$tmp/out"; then
    echo "visibility-cost.sh: $*: $(tail -n 1 "$tmp/err")" >&2
    exit 2
  fi
  json_field cpu_seconds < "$tmp/out"
}
while IFS='|' read -r -u 3 name file key _ _; do
  scene=scenes/visibility/$file.xml
  : > "$tmp/render.txt"; : > "$tmp/grad.txt"
  for _ in $(seq "$rounds"); do
    cpu render "$scene" --spp "$spp" --seed 1 -o "$tmp/primal.png" >> "$tmp/render.txt"
    cpu grad "$scene" --param "$key" --spp "$spp" --seed 1 >> "$tmp/grad.txt"
  done
  printf '%s|%s|%s|%s\n' "$name" "$key" "$(median < "$tmp/render.txt")" "$(median < "$tmp/grad.txt")" >> "$tmp/table.txt"
done 3<<< "$cases"
python3 - "$tmp/table.txt" "$spp" "$rounds" "$res" "$load_before" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import statistics, sys
path, spp, rounds, res, load0, load1 = sys.argv[1:]
rows = [line.rstrip("\n").split("|") for line in open(path)]
print(f"CPU time on one thread, {res}×{res} pixels, {spp} spp, seed 1, medians of {rounds} interleaved rounds "
      f"(load average {load0} before, {load1} after)")
print()
print("| case | key | render, CPU ms | gradient, CPU ms | gradient / render |")
print("| --- | --- | ---: | ---: | ---: |")
ratios = []
for name, key, r, g in rows:
    r, g = float(r), float(g)
    ratio = g / r if r > 0 else float("inf")
    ratios.append(ratio)
    print(f"| {name} | `{key}` | {1000 * r:.1f} | {1000 * g:.1f} | {ratio:.2f}{' ⚠' if ratio > 3 else ''} |")
print()
print(f"median {statistics.median(ratios):.2f}×, {sum(x <= 3 for x in ratios)} of {len(ratios)} cases at most 3×")
PY
