#!/usr/bin/env bash
# A geometry gradient over seeds against a high-spp gradient and central
# differences, and its cost. d mean(image) / d KEY in reverse mode (forward
# with MODE=forward; boundary term on) for SEEDS seeds: the mean and the
# standard deviation over seeds of each component; the same gradient at
# REF_SPP spp (edge samples scaled alike:
# `grad`'s default is spp / 32 per pixel) and, per component, the fraction of
# seeds within 10 % of it; central differences of DiffRay's own renders (same
# seed, FD_SPP spp, no boundary term) at steps 0.02 and 0.05; the median time
# of a gradient over that of a primal render at the same spp.
#   bench/gradient-spread.sh [SCENE] [KEY] [SPP] [SEEDS] [FD_SPP] [EDGE] [REF_SPP] [-D name=value ...]
#   (defaults: scenes/box-on-floor.xml box.translate 256 8 4096 default 16384; EDGE
#   "default" leaves --edge-samples to grad, otherwise e.g. 1,1 for both runs;
#   FD_SPP 0 skips the central differences, which do not depend on the boundary
#   term: the same renders as any earlier run of the same primal renderer;
#   REFERENCE="x,y,z" in the environment takes the reference gradient from an
#   earlier run instead of computing it; REF_RUNS=K makes the reference the
#   mean of K gradients at SPP with seeds 1001 ... 1000 + K (K·SPP samples per
#   pixel in all, edge samples alike) and prints its standard error, the
#   standard deviation of those runs over √K, and every run against the mean of
#   all the others (seeds 1 ... SEEDS and the reference's); RUNS_DIR=D keeps every gradient
#   run in D and reuses the ones found there (same binary, scene, key and spp);
#   GRAD_FLAGS in the environment adds flags to every gradient at SPP, e.g.
#   GRAD_FLAGS="--edge-budget 1,1,8"; MODE=forward takes every gradient at SPP,
#   the REF_RUNS ones too, in forward mode (`grad --mode forward`; default
#   reverse), the REF_SPP reference in reverse mode; a RUNS_DIR holds one mode's runs)
set -euo pipefail
source "$(dirname "$0")/common.sh"
scene=${1:-scenes/box-on-floor.xml}; key=${2:-box.translate}; spp=${3:-256}; seeds=${4:-8}
fdspp=${5:-4096}; edge=${6:-default}; refspp=${7:-16384}
defines=("${@:8}")
edgeflag=()
[[ $edge == default ]] || edgeflag=(--edge-samples "$edge")
read -r -a gradflags <<< "${GRAD_FLAGS:-}"
mode=${MODE:-reverse}
[[ $mode == reverse || $mode == forward ]] || { echo "gradient-spread.sh: MODE must be reverse or forward, got '$mode'" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
runs=${RUNS_DIR:-$tmp/runs}
mkdir -p "$runs"
# One gradient at SPP with seed $1 in MODE into $runs/grad-$1.json, unless it is there.
gradient() {
  [[ -s $runs/grad-$1.json ]] && return
  "$DIFFRAY" grad "$scene" "${defines[@]}" --param "$key" --spp "$spp" --seed "$1" --mode "$mode" "${edgeflag[@]}" "${gradflags[@]}" --json 2>/dev/null \
    | tail -n 1 > "$runs/grad-$1.tmp"
  mv "$runs/grad-$1.tmp" "$runs/grad-$1.json"
}
for s in $(seq "$seeds"); do
  gradient "$s"
  if [[ ! -s $runs/primal-$s.txt ]]; then
    "$DIFFRAY" render "$scene" "${defines[@]}" --spp "$spp" --seed "$s" -o "$tmp/primal.png" --json 2>/dev/null \
      | json_field seconds > "$runs/primal-$s.tmp"
    mv "$runs/primal-$s.tmp" "$runs/primal-$s.txt"
  fi
  cat "$runs/primal-$s.txt" >> "$tmp/primal.txt"
  cp "$runs/grad-$s.json" "$tmp/grad-$s.json"
done
# The reference: edge samples per pixel scaled with the spp (given ones times REF_SPP / SPP).
refedge=()
if [[ $edge != default ]]; then
  refedge=(--edge-samples "$(python3 -c "print(','.join(str(float(x) * $refspp / $spp) for x in '$edge'.split(',')))")")
fi
if [[ ${REF_RUNS:-0} -gt 0 ]]; then
  # The mean of REF_RUNS gradients at SPP, seeds 1001 ..., with its standard error.
  for s in $(seq 1001 $((1000 + REF_RUNS))); do gradient "$s"; done
  python3 - "$runs" "$key" "$REF_RUNS" > "$tmp/reference.json" <<'PY'
import json, statistics, sys
runs, key, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
g = [json.loads(open(f"{runs}/grad-{1000 + s}.json").read().splitlines()[-1]) for s in range(1, k + 1)]
c = list(zip(*(r["gradients"][key] for r in g)))
print(json.dumps({"gradients": {key: [statistics.fmean(x) for x in c]},
                  "standard_error": [statistics.stdev(x) / len(x) ** 0.5 for x in c],
                  "runs": k, "seconds": sum(r["seconds"] for r in g)}))
PY
elif [[ -n ${REFERENCE:-} ]]; then
  # A reference measured before (same scene and key): REFERENCE="x,y,z" skips the long run.
  echo "{\"gradients\": {\"$key\": [$REFERENCE]}, \"seconds\": 0}" > "$tmp/reference.json"
else
  "$DIFFRAY" grad "$scene" "${defines[@]}" --param "$key" --spp "$refspp" --seed 1000 "${refedge[@]}" --json 2>/dev/null \
    | tail -n 1 > "$tmp/reference.json"
fi
loss() {
  "$DIFFRAY" grad "$scene" "${defines[@]}" --param "$key" --init "$key=$1" --spp "$fdspp" --seed 7 --no-boundary --json 2>/dev/null \
    | json_field loss
}
base=$("$DIFFRAY" params "$scene" "${defines[@]}" --json 2>/dev/null \
  | python3 -c "import json, sys; print(','.join(repr(v) for v in json.loads(sys.stdin.read().splitlines()[-1])['params']['$key']))")
IFS=, read -r -a v0 <<< "$base"
for h in 0.02 0.05; do
  touch "$tmp/fd-$h.txt"
  [[ $fdspp -gt 0 ]] || continue
  for c in "${!v0[@]}"; do
    plus=("${v0[@]}"); minus=("${v0[@]}")
    plus[$c]=$(python3 -c "print(${v0[$c]} + $h)"); minus[$c]=$(python3 -c "print(${v0[$c]} - $h)")
    lp=$(loss "$(IFS=,; echo "${plus[*]}")"); lm=$(loss "$(IFS=,; echo "${minus[*]}")")
    python3 -c "print(($lp - $lm) / (2 * $h))" >> "$tmp/fd-$h.txt"
  done
done
python3 - "$tmp" "$key" "$scene" "$spp" "$seeds" "$fdspp" "$edge" "$(median < "$tmp/primal.txt")" "$refspp" "$runs" "$mode" <<'PY'
import glob, json, statistics, sys
tmp, key, scene, spp, seeds, fdspp, edge, primal, refspp, runs_dir, mode = sys.argv[1:]
reference = json.load(open(f"{tmp}/reference.json"))
runs = [json.load(open(f)) for f in sorted(glob.glob(f"{tmp}/grad-*.json"))]
g = [r["gradients"][key] for r in runs]
mean = [statistics.fmean(c) for c in zip(*g)]
sd = [statistics.stdev(c) for c in zip(*g)]
fd = {h: [float(x) for x in open(f"{tmp}/fd-{h}.txt")] for h in ("0.02", "0.05")}
seconds = statistics.median(r["seconds"] for r in runs)
fmt = lambda v: "(" + ", ".join(f"{x:.5f}" for x in v) + ")"
ref = reference["gradients"][key]
within = [sum(abs(x - r) <= 0.1 * abs(r) for x in c) / len(c) for c, r in zip(zip(*g), ref)]
print(f"{scene} d mean(image) / d {key}, {spp} spp, edge samples {edge}, {seeds} seeds")
print(f"  {mode} mode: mean {fmt(mean)}, standard deviation over seeds {fmt(sd)}")
if "runs" in reference:
    se = reference["standard_error"]
    print(f"  reference, the mean of {reference['runs']} runs at {spp} spp (seeds 1001-{1000 + reference['runs']}): {fmt(ref)}, "
          f"standard error {fmt(se)} (" + ", ".join(f"{e / (0.1 * abs(r)):.0%}" for e, r in zip(se, ref)) + " of the 10 % band)")
    print(f"  seeds within 10 % of it: " + ", ".join(f"{w:.0%}" for w in within))
    # Every run (seeds 1 ... SEEDS and the reference's) against the mean of all the others.
    pool = g + [json.loads(open(f"{runs_dir}/grad-{1000 + s}.json").read().splitlines()[-1])["gradients"][key]
                for s in range(1, reference["runs"] + 1)]
    n = len(pool)
    print(f"  all {n} runs, each within 10 % of the mean of the others: " + ", ".join(
        f"{sum(abs(x - (sum(c) - x) / (n - 1)) <= 0.1 * abs((sum(c) - x) / (n - 1)) for x in c) / n:.0%}" for c in zip(*pool))
        + f"; their standard deviation {fmt([statistics.stdev(c) for c in zip(*pool)])}")
else:
    print(f"  reference, {refspp} spp: {fmt(ref)} ({float(reference['seconds']):.0f} s); "
          "seeds within 10 % of it: " + ", ".join(f"{w:.0%}" for w in within))
for h, v in fd.items():
    if v:
        print(f"  central differences, h = {h}, {fdspp} spp: {fmt(v)}")
print(f"  cost: {seconds:.3f} s a gradient against {float(primal):.3f} s a primal render: {seconds / float(primal):.2f}x")
print(json.dumps({"mean": mean, "sd": sd, "reference": ref, "reference_se": reference.get("standard_error"), "within10": within, "fd_h002": fd["0.02"], "fd_h005": fd["0.05"], "gradient_seconds": seconds,
                  "primal_seconds": float(primal), "cost_ratio": seconds / float(primal)}))
PY
