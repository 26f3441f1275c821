#!/usr/bin/env bash
# A geometry gradient over seeds against central differences, and its cost.
# d mean(image) / d KEY in reverse mode (boundary term on) for SEEDS seeds: the
# mean and the standard deviation over seeds of each component; then central
# differences of DiffRay's own renders (same seed, FD_SPP spp, no boundary term)
# at steps 0.02 and 0.05; then the median time of a gradient over that of a
# primal render at the same spp.
#   bench/gradient-spread.sh [SCENE] [KEY] [SPP] [SEEDS] [FD_SPP] [EDGE] [-D name=value ...]
#   (defaults: scenes/box-on-floor.xml box.translate 256 8 4096 1,1)
set -euo pipefail
source "$(dirname "$0")/common.sh"
scene=${1:-scenes/box-on-floor.xml}; key=${2:-box.translate}; spp=${3:-256}; seeds=${4:-8}
fdspp=${5:-4096}; edge=${6:-1,1}
defines=("${@:7}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for s in $(seq "$seeds"); do
  "$DIFFRAY" grad "$scene" "${defines[@]}" --param "$key" --spp "$spp" --seed "$s" --edge-samples "$edge" --json 2>/dev/null \
    | tail -n 1 > "$tmp/grad-$s.json"
  "$DIFFRAY" render "$scene" "${defines[@]}" --spp "$spp" --seed "$s" -o "$tmp/primal.png" --json 2>/dev/null \
    | json_field seconds >> "$tmp/primal.txt"
done
loss() {
  "$DIFFRAY" grad "$scene" "${defines[@]}" --param "$key" --init "$key=$1" --spp "$fdspp" --seed 7 --no-boundary --json 2>/dev/null \
    | json_field loss
}
base=$("$DIFFRAY" params "$scene" "${defines[@]}" --json 2>/dev/null \
  | python3 -c "import json, sys; print(','.join(repr(v) for v in json.loads(sys.stdin.read().splitlines()[-1])['params']['$key']))")
IFS=, read -r -a v0 <<< "$base"
for h in 0.02 0.05; do
  for c in "${!v0[@]}"; do
    plus=("${v0[@]}"); minus=("${v0[@]}")
    plus[$c]=$(python3 -c "print(${v0[$c]} + $h)"); minus[$c]=$(python3 -c "print(${v0[$c]} - $h)")
    lp=$(loss "$(IFS=,; echo "${plus[*]}")"); lm=$(loss "$(IFS=,; echo "${minus[*]}")")
    python3 -c "print(($lp - $lm) / (2 * $h))" >> "$tmp/fd-$h.txt"
  done
done
python3 - "$tmp" "$key" "$scene" "$spp" "$seeds" "$fdspp" "$edge" "$(median < "$tmp/primal.txt")" <<'PY'
import glob, json, statistics, sys
tmp, key, scene, spp, seeds, fdspp, edge, primal = sys.argv[1:]
runs = [json.load(open(f)) for f in sorted(glob.glob(f"{tmp}/grad-*.json"))]
g = [r["gradients"][key] for r in runs]
mean = [statistics.fmean(c) for c in zip(*g)]
sd = [statistics.stdev(c) for c in zip(*g)]
fd = {h: [float(x) for x in open(f"{tmp}/fd-{h}.txt")] for h in ("0.02", "0.05")}
seconds = statistics.median(r["seconds"] for r in runs)
fmt = lambda v: "(" + ", ".join(f"{x:.5f}" for x in v) + ")"
print(f"{scene} d mean(image) / d {key}, {spp} spp, edge samples {edge}, {seeds} seeds")
print(f"  reverse mode: mean {fmt(mean)}, standard deviation over seeds {fmt(sd)}")
for h, v in fd.items():
    print(f"  central differences, h = {h}, {fdspp} spp: {fmt(v)}")
print(f"  cost: {seconds:.3f} s a gradient against {float(primal):.3f} s a primal render: {seconds / float(primal):.2f}x")
print(json.dumps({"mean": mean, "sd": sd, "fd_h002": fd["0.02"], "fd_h005": fd["0.05"], "gradient_seconds": seconds,
                  "primal_seconds": float(primal), "cost_ratio": seconds / float(primal)}))
PY
