#!/usr/bin/env bash
# Where the spread of a geometry gradient comes from: d mean(image) / d KEY in
# reverse mode for SEEDS seeds, split into the interior term (--no-boundary),
# primary silhouettes (--edge-samples P,0 less the interior), shadows and other
# secondary edges at the first surface (--edge-samples 0,S --first-vertex-only,
# less the interior; delta-light shadows are counted here) and secondary edges
# at deeper path vertices (the rest). Each run uses the same seed, so the
# interior cancels exactly; prints the mean and the standard deviation over
# seeds of each component of each part, and the median time of each run.
#   bench/gradient-components.sh [SCENE] [KEY] [SPP] [SEEDS] [EDGE] [-D name=value ...]
#   (defaults: scenes/box-on-floor.xml box.translate 256 8 1,1)
set -euo pipefail
source "$(dirname "$0")/common.sh"
scene=${1:-scenes/box-on-floor.xml}; key=${2:-box.translate}; spp=${3:-256}; seeds=${4:-8}; edge=${5:-1,1}
defines=("${@:6}")
IFS=, read -r pe se <<< "$edge"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { "$DIFFRAY" grad "$scene" "${defines[@]}" --param "$key" --spp "$spp" --seed "$1" --json "${@:2}" 2>/dev/null | tail -n 1; }
for s in $(seq "$seeds"); do
  run "$s" --no-boundary > "$tmp/interior-$s.json"
  run "$s" --edge-samples "$pe,0" > "$tmp/primary-$s.json"
  run "$s" --edge-samples "0,$se" --first-vertex-only > "$tmp/first-$s.json"
  run "$s" --edge-samples "0,$se" > "$tmp/secondary-$s.json"
done
python3 - "$tmp" "$key" "$scene" "$spp" "$seeds" "$edge" <<'PY'
import json, statistics, sys
tmp, key, scene, spp, seeds, edge = sys.argv[1:]
seeds = int(seeds)
load = lambda name, s: json.load(open(f"{tmp}/{name}-{s}.json"))
g = {n: [load(n, s)["gradients"][key] for s in range(1, seeds + 1)] for n in ("interior", "primary", "first", "secondary")}
t = {n: statistics.median(load(n, s)["seconds"] for s in range(1, seeds + 1)) for n in g}
sub = lambda a, b: [[x - y for x, y in zip(u, v)] for u, v in zip(a, b)]
parts = {"interior": (g["interior"], t["interior"]),
         "primary silhouettes": (sub(g["primary"], g["interior"]), t["primary"] - t["interior"]),
         "secondary, first vertex": (sub(g["first"], g["interior"]), t["first"] - t["interior"]),
         "secondary, deeper vertices": (sub(g["secondary"], g["first"]), t["secondary"] - t["first"])}
fmt = lambda v: "(" + ", ".join(f"{x:.5f}" for x in v) + ")"
print(f"{scene} d mean(image) / d {key}, {spp} spp, edge samples {edge}, {seeds} seeds")
out = {}
for name, (runs, seconds) in parts.items():
    mean = [statistics.fmean(c) for c in zip(*runs)]
    sd = [statistics.stdev(c) for c in zip(*runs)]
    print(f"  {name:28s} mean {fmt(mean)} sd {fmt(sd)}  {seconds:.3f} s")
    out[name] = {"mean": mean, "sd": sd, "seconds": seconds}
print(json.dumps(out))
PY
