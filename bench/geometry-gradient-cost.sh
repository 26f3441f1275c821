#!/usr/bin/env bash
# What a geometry gradient costs against a primal render of the same spp, for
# one or two binaries in one sitting: `grad SCENE --param KEY --spp SPP --seed 1`
# against `render SCENE --spp SPP --seed 1`, ROUNDS rounds, each round running
# every binary's render and gradient in turn (interleaved, so that load on the
# machine falls on all of them alike). Per binary: the medians of the `--json`
# lines' `seconds` (wall clock of the work, loading and the acceleration
# structure's build left out) and `cpu_seconds` (all threads), and the ratio of
# the medians, gradient over render. The load average is printed before and after.
#   bench/geometry-gradient-cost.sh SCENE KEY [SPP] [ROUNDS] [OTHER_DIFFRAY]
#   (defaults: SPP 256, ROUNDS 5; DIFFRAY and THREADS (default: all cores) in the environment;
#   OTHER_DIFFRAY, e.g. the binary before a change, is measured in the same rounds)
set -euo pipefail
if (( $# < 2 || $# > 5 )); then
  echo "usage: bench/geometry-gradient-cost.sh SCENE KEY [SPP] [ROUNDS] [OTHER_DIFFRAY]" >&2
  exit 2
fi
scene=$1; key=$2; spp=${3:-256}; rounds=${4:-5}; other=${5:-}
[[ -z $other ]] || other=$(realpath -m -- "$other")
source "$(dirname "$0")/common.sh"
threads=${THREADS:-$(nproc)}
for n in "$spp" "$rounds" "$threads"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "geometry-gradient-cost.sh: SPP, ROUNDS and THREADS must be positive integers, got '$n'" >&2; exit 2; }
done
[[ -f $scene ]] || { echo "geometry-gradient-cost.sh: no scene file $scene" >&2; exit 2; }
binaries=("$DIFFRAY")
if [[ -n $other ]]; then
  [[ -x $other ]] || { echo "geometry-gradient-cost.sh: $other is not an executable file" >&2; exit 2; }
  binaries+=("$other")
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
load_before=$(cut -d' ' -f1 /proc/loadavg)
run() {  # output file, binary, arguments...: appends the command's JSON line
  local out=$1 bin=$2; shift 2
  if ! "$bin" "$@" --threads "$threads" --json 2>"$tmp/err" | tail -n 1 >> "$out"; then
    echo "geometry-gradient-cost.sh: $(tail -n 1 "$tmp/err")" >&2
    exit 2
  fi
}
for _ in $(seq "$rounds"); do
  for i in "${!binaries[@]}"; do
    run "$tmp/render-$i.json" "${binaries[$i]}" render "$scene" --spp "$spp" --seed 1 -o "$tmp/primal.png"
    run "$tmp/grad-$i.json" "${binaries[$i]}" grad "$scene" --param "$key" --spp "$spp" --seed 1
  done
done
python3 - "$tmp" "$scene" "$key" "$spp" "$threads" "$load_before" "$(cut -d' ' -f1 /proc/loadavg)" "${binaries[@]}" <<'PY'
import json, statistics, sys
tmp, scene, key, spp, threads, load0, load1, *binaries = sys.argv[1:]
print(f"{scene} d/d {key}, {spp} spp, seed 1, {threads} threads (load average {load0} before, {load1} after); medians:")
out = []
for i, b in enumerate(binaries):
    r = [json.loads(l) for l in open(f"{tmp}/render-{i}.json")]
    g = [json.loads(l) for l in open(f"{tmp}/grad-{i}.json")]
    m = {f: (statistics.median(x[f] for x in r), statistics.median(x[f] for x in g)) for f in ("seconds", "cpu_seconds")}
    print(f"  {b} ({len(r)} rounds): render {m['seconds'][0]:.3f} s, gradient {m['seconds'][1]:.3f} s, "
          f"{m['seconds'][1] / m['seconds'][0]:.2f}x by the wall clock; CPU {m['cpu_seconds'][0]:.3f} s and "
          f"{m['cpu_seconds'][1]:.3f} s, {m['cpu_seconds'][1] / m['cpu_seconds'][0]:.2f}x")
    out.append({"binary": b, "render_seconds": m["seconds"][0], "grad_seconds": m["seconds"][1],
                "ratio": m["seconds"][1] / m["seconds"][0], "render_cpu_seconds": m["cpu_seconds"][0],
                "grad_cpu_seconds": m["cpu_seconds"][1], "cpu_ratio": m["cpu_seconds"][1] / m["cpu_seconds"][0]})
print(json.dumps(out))
PY
