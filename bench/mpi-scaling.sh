#!/usr/bin/env bash
# Strong scaling over MPI on one machine: each mode with 1 process × 1 thread
# (no mpirun) and with 2 ranks × 1 thread (mpirun -np 2), runs interleaved,
# medians of RUNS runs. Two efficiencies: wall, t(1) / (2 · t(2)) from the time
# each command reports for its work (not mpirun's start-up), which needs two
# idle cores; and CPU, c(1) / (2 · c(2)) where c is the CPU time of the busiest
# process of a run (start-up, scene loading and MPI's busy waiting included:
# on idle cores it is the run's wall time), which holds on a loaded machine.
# Also the payload bytes rank 0 sent (--mpi-report), per unit of work.
#   bench/mpi-scaling.sh [RUNS]        (default 5)
#   RES, SPP, ITERS, SHOTS, EPISODES   the sizes (defaults 128, 128, 5, 12800, 20);
#   PIXEL_EPISODES, PIXEL_RES          pendulum from pixels (defaults 2, 32; its frame cache rendered once before)
#   MODES                              the modes to run (default: render optimize trebuchet cartpole
#                                      cartpole-envs pendulum pendulum-pixels)
set -euo pipefail
source "$(dirname "$0")/common.sh"
runs=${1:-5}; res=${RES:-128}; spp=${SPP:-128}; iters=${ITERS:-5}; shots=${SHOTS:-12800}; episodes=${EPISODES:-20}
pixel_episodes=${PIXEL_EPISODES:-2}; pixel_res=${PIXEL_RES:-32}
modes=" ${MODES:-render optimize trebuchet cartpole cartpole-envs pendulum pendulum-pixels} "
command -v mpirun >/dev/null || { echo "mpi-scaling: mpirun not found (make deps installs openmpi-bin)" >&2; exit 2; }
diffray=$(realpath "$DIFFRAY"); scene=$PWD/scenes/cornell-box.xml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
"$diffray" render "$scene" -D res="$res" --spp 256 --hdr target.exr -o target.png >/dev/null 2>&1
# the pendulum's frame cache (pixels.frames.bin), rendered once and reused by every run
"$diffray" train pendulum --pixels --trainer surrogate --view-res "$pixel_res" --episodes 1 -o pixels.json >/dev/null 2>&1

# run N NAME FIELD COMMAND...: appends the JSON field FIELD of COMMAND's last line to NAME-N.txt,
# the largest CPU time of a rank to NAME-N.cpu, and rank 0's sent bytes to NAME-N.bytes.
run() {
  local n=$1 name=$2 field=$3; shift 3
  [[ $modes == *" $name "* ]] || return 0
  rm -rf out model* pixels.json pixels.png pixels.checkpoint.json
  if [[ $n == 1 ]]; then
    "$diffray" "$@" --json --mpi-report 2> err.txt | json_field "$field" >> "$name-1.txt"
  else
    mpirun --allow-run-as-root --oversubscribe -np "$n" "$diffray" "$@" --json --mpi-report 2> err.txt \
      | json_field "$field" >> "$name-$n.txt"
  fi
  sed -n 's/^rank [0-9]* of [0-9]*: .*, \([0-9.]*\) s CPU$/\1/p' err.txt | sort -g | tail -n 1 >> "$name-$n.cpu"
  sed -n 's/^rank 0 of [0-9]*: [0-9]* calls, \([0-9]*\) bytes sent.*/\1/p' err.txt >> "$name-$n.bytes"
}
for i in $(seq "$runs"); do
  for n in 1 2; do
    run "$n" render seconds render "$scene" -D res="$res" --spp "$spp" --threads 1 -o out.png
    run "$n" optimize seconds_per_iteration optimize "$scene" -D res="$res" --spp "$((spp / 4))" --threads 1 --target target.exr \
      --param red.reflectance.value --iters "$iters" --out-dir out
    # The training commands take no --threads: they run on one thread.
    run "$n" trebuchet seconds train trebuchet --episodes "$shots" -o model.json
    run "$n" cartpole seconds train cartpole --episodes "$episodes" -o model.json
    run "$n" cartpole-envs seconds train cartpole --envs 25 --horizon 20 --episodes "$episodes" -o model.json
    run "$n" pendulum seconds train pendulum --trainer surrogate --episodes "$episodes" -o model.json
    run "$n" pendulum-pixels seconds train pendulum --pixels --trainer surrogate --view-res "$pixel_res" --episodes "$pixel_episodes" -o pixels.json
  done
done
echo "load average before the summary: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$res" "$spp" "$iters" "$shots" "$episodes" "$pixel_episodes" "$pixel_res" <<'PY'
import json, os, statistics, sys
res, spp, iters, shots, episodes, pixel_episodes, pixel_res = sys.argv[1:]
def read(name):
    return [float(l) for l in open(name) if l.strip()]
units = {"render": (f"{res}x{res}, {spp} spp", 1, "render"),
         "optimize": (f"{res}x{res}, {int(spp) // 4} spp, {iters} iterations (time per iteration)", int(iters) + 1, "iteration"),
         "trebuchet": (f"train trebuchet, {shots} shots in batches of 32", int(shots) // 32, "batch"),
         "cartpole": (f"train cartpole, {episodes} episodes (the default: 1 environment, windows of 20 steps) and the evaluation after training", int(episodes), "episode"),
         "cartpole-envs": (f"train cartpole --envs 25 --horizon 20, {episodes} episodes and the evaluation after", int(episodes), "episode"),
         "pendulum": (f"train pendulum (surrogate), {episodes} episodes and the evaluation after", int(episodes), "episode"),
         "pendulum-pixels": (f"train pendulum --pixels --trainer surrogate, {pixel_episodes} episodes ({pixel_res}x{pixel_res}, cached frames)", int(pixel_episodes), "episode")}
result = {}
for name, (what, count, unit) in units.items():
    if not os.path.exists(f"{name}-1.txt"):
        continue
    t1, t2 = statistics.median(read(f"{name}-1.txt")), statistics.median(read(f"{name}-2.txt"))
    c1, c2 = statistics.median(read(f"{name}-1.cpu")), statistics.median(read(f"{name}-2.cpu"))
    sent = statistics.median(read(f"{name}-2.bytes"))
    eff, cpu_eff = t1 / (2 * t2), c1 / (2 * c2)
    print(f"{name:15s} {what}: 1 rank {t1:.3f} s, 2 ranks {t2:.3f} s, efficiency {100 * eff:.1f} % (wall); "
          f"CPU of the busiest process {c1:.2f} s against {c2:.2f} s, efficiency {100 * cpu_eff:.1f} % (CPU); "
          f"rank 0 sent {sent / count:.0f} bytes per {unit}")
    result[name] = {"work": count if name != "render" else int(res) ** 2 * int(spp), "one_rank_seconds": t1, "two_rank_seconds": t2, "efficiency": round(eff, 4),
                    "one_rank_cpu_seconds": c1, "busiest_rank_cpu_seconds": c2, "cpu_efficiency": round(cpu_eff, 4),
                    "bytes_sent_per_" + unit: sent / count}
print(json.dumps(result))
PY
