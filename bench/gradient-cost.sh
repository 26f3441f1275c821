#!/usr/bin/env bash
# Cost of a gradient relative to the primal render, same scene, resolution and
# spp: reverse mode (`grad --mode reverse`, the mean loss: the image and the
# gradient in one pass) and forward mode (one Dual8 pass per 8 parameter
# components), with the red wall's reflectance and the light's radiance.
#   bench/gradient-cost.sh [SCENE] [RES] [SPP] [RUNS]     (defaults: scenes/cornell-box.xml 64 64 7)
#   environment: THREADS (default: all cores), DIFFRAY
# What is timed: the work inside the process, as each command reports it in its
# JSON (`seconds`, the wall clock of `render`'s render call and of `grad`'s
# gradient, image included; `cpu_seconds`, the CPU time of all threads over the
# same work). Process start, scene loading, the acceleration structure's build
# and writing the PNG are not. `render` traces with Embree, `grad` with the BVH
# (each command's default). Each run takes the three commands in turn; the
# figures are medians over runs of each run's own ratio, with their range.
# The wall clock moves with other jobs on the machine; CPU time much less so.
# A binary that does not report `cpu_seconds` gets the wall clock only.
set -euo pipefail
source "$(dirname "$0")/common.sh"
scene=${1:-scenes/cornell-box.xml}; res=${2:-64}; spp=${3:-64}; runs=${4:-7}
threads=${THREADS:-$(nproc)}
for n in "$res" "$spp" "$runs" "$threads"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "gradient-cost.sh: RES, SPP, RUNS and THREADS must be positive integers, got '$n'" >&2; exit 2; }
done
keys=(--param red.reflectance.value --param light.emitter.radiance.value)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=("$scene" -D res="$res" --spp "$spp" --threads "$threads" --json)
load_before=$(cut -d' ' -f1 /proc/loadavg)
run() {  # name, diffray arguments...: appends the command's JSON line to $tmp/name.json
  local name=$1; shift
  if ! "$DIFFRAY" "$@" 2>"$tmp/err" | tail -n 1 >> "$tmp/$name.json"; then
    echo "gradient-cost.sh: $(tail -n 1 "$tmp/err")" >&2
    exit 2
  fi
}
for _ in $(seq "$runs"); do
  run primal render "${common[@]}" -o "$tmp/primal.png"
  run reverse grad "${common[@]}" "${keys[@]}" --mode reverse
  run forward grad "${common[@]}" "${keys[@]}" --mode forward
done
python3 - "$tmp" "$scene" "$res" "$spp" "$threads" "$load_before" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import json, statistics, sys
tmp, scene, res, spp, threads, load0, load1 = sys.argv[1:]
runs = {m: [json.loads(l) for l in open(f"{tmp}/{m}.json")] for m in ("primal", "reverse", "forward")}
def figures(field):
    if not all(field in r for rs in runs.values() for r in rs): return None
    med = {m: statistics.median(r[field] for r in rs) for m, rs in runs.items()}
    ratios = {m: [g[field] / p[field] for g, p in zip(runs[m], runs["primal"])] for m in ("reverse", "forward")}
    return med, {m: (statistics.median(v), min(v), max(v)) for m, v in ratios.items()}
wall, cpu = figures("seconds"), figures("cpu_seconds")
n = len(runs["primal"])
print(f"{scene} {res}x{res} {spp} spp, {threads} threads, 6 parameter components, {n} runs "
      f"(load average {load0} before, {load1} after); medians, in brackets the range of the runs' ratios:")
for name, f in (("wall clock", wall), ("CPU time", cpu)):
    if f is None: print(f"  {name}: not reported by this binary"); continue
    med, r = f
    print(f"  {name}: primal {med['primal']:.3f} s, reverse {med['reverse']:.3f} s, {r['reverse'][0]:.2f}x "
          f"[{r['reverse'][1]:.2f}-{r['reverse'][2]:.2f}], forward {med['forward']:.3f} s, {r['forward'][0]:.2f}x "
          f"[{r['forward'][1]:.2f}-{r['forward'][2]:.2f}]")
out = {"primal_seconds": wall[0]["primal"], "reverse_seconds": wall[0]["reverse"], "forward_seconds": wall[0]["forward"],
       "reverse_ratio": round(wall[1]["reverse"][0], 3), "forward_ratio": round(wall[1]["forward"][0], 3),
       "reverse_ratio_range": [round(x, 3) for x in wall[1]["reverse"][1:]]}
if cpu is not None:
    out.update({"primal_cpu_seconds": cpu[0]["primal"], "reverse_cpu_seconds": cpu[0]["reverse"],
                "forward_cpu_seconds": cpu[0]["forward"], "reverse_cpu_ratio": round(cpu[1]["reverse"][0], 3),
                "forward_cpu_ratio": round(cpu[1]["forward"][0], 3),
                "reverse_cpu_ratio_range": [round(x, 3) for x in cpu[1]["reverse"][1:]]})
print(json.dumps(out))
PY
