#!/usr/bin/env bash
# Where the spread of a geometry gradient comes from: d mean(image) / d KEY in
# reverse mode for SEEDS seeds, split into the interior term (path replay at
# SPP, `--no-boundary`) and each kind of boundary sample alone (`grad
# --edge-parts`): camera silhouettes (camera), area-light and other secondary
# edges at the first surface from film points (film) and from the area lights'
# side (lights), delta lights' shadows on the first surface (delta), secondary
# edges at deeper path vertices (deeper), delta lights' shadows seen after a
# bounce (delta-beyond). Each kind keeps its own random numbers when the others
# are left out, and the boundary term does not depend on the path samples, so
# the kinds are run at 1 spp with the edge samples of SPP and the 1-spp interior
# (same seed) subtracted: the parts sum to the whole gradient at SPP. Prints,
# per part and component, the mean, the standard deviation over seeds, its
# share of the whole gradient's variance (cov(part, whole) / var(whole); the
# shares sum to 1) and the median time of the part over that of a primal render
# at SPP. Every run leaves out the attached film term's control variate
# (`--no-attached-variate`): with it, the interior term and the camera's
# samples exchange the variate's integral, and neither part alone would mean
# anything of its own; the whole gradient's expectation is the same.
#   bench/gradient-components.sh [SCENE] [KEY] [SPP] [SEEDS] [EDGE] [-D name=value ...]
#   (defaults: scenes/box-on-floor.xml box.translate 256 16, EDGE `grad`'s
#   balance at SPP: SPP / 16 camera and SPP / 16 secondary edge samples per pixel;
#   GRAD_FLAGS in the environment adds flags to every gradient, e.g.
#   GRAD_FLAGS="--edge-budget 1,1,8")
set -euo pipefail
source "$(dirname "$0")/common.sh"
scene=${1:-scenes/box-on-floor.xml}; key=${2:-box.translate}; spp=${3:-256}; seeds=${4:-16}
edge=${5:-$(python3 -c "print(f'{max(1, $spp // 16)},{max(1, $spp // 16)}')")}
defines=("${@:6}")
parts=(camera film lights delta deeper delta-beyond)
read -r -a gradflags <<< "${GRAD_FLAGS:-}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { "$DIFFRAY" grad "$scene" "${defines[@]}" --param "$key" --seed "$1" --json --no-attached-variate "${gradflags[@]}" "${@:2}" 2>/dev/null | tail -n 1; }
for s in $(seq "$seeds"); do
  run "$s" --spp "$spp" --no-boundary > "$tmp/interior-$s.json"
  run "$s" --spp 1 --no-boundary > "$tmp/base-$s.json"
  for p in "${parts[@]}"; do
    run "$s" --spp 1 --edge-samples "$edge" --edge-parts "$p" > "$tmp/$p-$s.json"
  done
  "$DIFFRAY" render "$scene" "${defines[@]}" --spp "$spp" --seed "$s" -o "$tmp/primal.png" --json 2>/dev/null \
    | json_field seconds >> "$tmp/primal.txt"
done
python3 - "$tmp" "$key" "$scene" "$spp" "$seeds" "$edge" "$(median < "$tmp/primal.txt")" "${parts[@]}" <<'PY'
import json, statistics, sys
tmp, key, scene, spp, seeds, edge, primal, *parts = sys.argv[1:]
seeds, primal = int(seeds), float(primal)
load = lambda name, s: json.load(open(f"{tmp}/{name}-{s}.json"))
grad = lambda name, s: load(name, s)["gradients"][key]
rows = {"interior": [grad("interior", s) for s in range(1, seeds + 1)]}
seconds = {"interior": statistics.median(load("interior", s)["seconds"] for s in range(1, seeds + 1))}
for p in parts:
    rows[p] = [[x - y for x, y in zip(grad(p, s), grad("base", s))] for s in range(1, seeds + 1)]
    seconds[p] = statistics.median(load(p, s)["seconds"] - load("base", s)["seconds"] for s in range(1, seeds + 1))
whole = [[sum(c) for c in zip(*(rows[n][s] for n in rows))] for s in range(seeds)]
wmean = [statistics.fmean(c) for c in zip(*whole)]
wvar = [statistics.variance(c) for c in zip(*whole)]
def share(runs):
    out = []
    for c, (xs, ws) in enumerate(zip(zip(*runs), zip(*whole))):
        mx = statistics.fmean(xs)
        cov = sum((x - mx) * (w - wmean[c]) for x, w in zip(xs, ws)) / (seeds - 1)
        out.append(cov / wvar[c] if wvar[c] > 0 else 0)
    return out
fmt = lambda v, d=5: "(" + ", ".join(f"{x:.{d}f}" for x in v) + ")"
print(f"{scene} d mean(image) / d {key}, {spp} spp, edge samples {edge} per pixel, {seeds} seeds; "
      f"primal render {primal:.3f} s")
out = {}
for name, runs in list(rows.items()) + [("whole", whole)]:
    mean = [statistics.fmean(c) for c in zip(*runs)]
    sd = [statistics.stdev(c) for c in zip(*runs)]
    sh = share(runs)
    t = seconds.get(name, sum(seconds.values()))
    print(f"  {name:13s} mean {fmt(mean)} sd {fmt(sd)} variance share {fmt(sh, 2)}  {t:.3f} s ({t / primal:.2f} primal)")
    out[name] = {"mean": mean, "sd": sd, "share": sh, "seconds": t}
print(json.dumps(out))
PY
