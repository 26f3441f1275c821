#!/usr/bin/env python3
"""The scaling model of DiffRay over MPI: time per unit of work on N nodes,
compute against communication, for the message sizes DiffRay sends.

    bench/mpi-model.py [SCALING.json]

SCALING.json holds the output of bench/mpi-scaling.sh (its one-process CPU
times give the per-core rates: paths per second, seconds per shot); without
it, the rates of the run quoted in docs/results.md.
Assumptions: a node has 32 cores running 32 threads at the measured per-core
rate, one 16x16 tile a core at a time (so a node with fewer tiles than cores
idles some); the trebuchet trainer and the actor-critic run one thread a node; a network is a bandwidth beta and a latency alpha per message;
an all-gather of M bytes in total costs (N-1)(alpha + M/(N beta)) (ring), a
broadcast of m bytes log2(N)(alpha + m/beta), DiffRay's rank-to-rank running
sum of m bytes (N-1)(alpha + m/beta) plus that broadcast.
"""
import json, math, sys

CORES = 32
NETWORKS = {"10 GbE": (1.25e9, 20e-6), "100 Gb/s InfiniBand": (12.5e9, 2e-6)}
NODES = [8, 64, 512]

# Per-core rates: the CPU time of one process (on a loaded machine the CPU time, not the wall
# time, is what a core of its own would take) from bench/mpi-scaling.sh; defaults: its run quoted
# in docs/results.md (128x128 Cornell box at 128 spp; 12,800 trebuchet shots; the actor-critic's
# cart-pole with 25 environments x 20 steps, 20 episodes: its steps, the critic's fit and the 100
# evaluation episodes after training included).
measured = {"render": (128 * 128 * 128, 4.894), "trebuchet": (12800, 0.620), "shac": (20 * 500, 1.999)}
if len(sys.argv) > 1:
    r = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
    # the modes the run timed (bench/mpi-scaling.sh MODES=...), the defaults for the others
    if "render" in r:
        measured["render"] = (r["render"]["work"], r["render"]["one_rank_cpu_seconds"])
    if "trebuchet" in r:
        measured["trebuchet"] = (32 * r["trebuchet"]["work"], r["trebuchet"]["one_rank_cpu_seconds"])
    if "cartpole-envs" in r:
        measured["shac"] = (500 * r["cartpole-envs"]["work"], r["cartpole-envs"]["one_rank_cpu_seconds"])
paths_per_core = measured["render"][0] / measured["render"][1]
seconds_per_shot = measured["trebuchet"][1] / measured["trebuchet"][0]
seconds_per_step = measured["shac"][1] / measured["shac"][0]
GRADIENT_COST = 2.06  # reverse mode against the primal render (docs/results.md)


def allgather(total_bytes, n, beta, alpha):
    return (n - 1) * (alpha + total_bytes / (n * beta))


def chain_sum(m, n, beta, alpha):
    return (n - 1) * (alpha + m / beta) + math.ceil(math.log2(n)) * (alpha + m / beta)


def film_bytes(width, height, border=2):
    """The tile blocks a render gathers: 16x16 tiles with the filter's border, 4 doubles a pixel, 1 count."""
    tiles = math.ceil(width / 16) * math.ceil(height / 16)
    return tiles * ((16 + 2 * border) ** 2 * 4 * 8 + 8), tiles


def tiled(tiles, seconds_per_tile, n):
    """Tiles are the unit of work: a node takes ceil(tiles / n) of them, its cores one tile at a time."""
    return math.ceil(math.ceil(tiles / n) / CORES) * seconds_per_tile


def render(width, height, spp):
    m, tiles = film_bytes(width, height)
    per_tile = 16 * 16 * spp / paths_per_core
    return lambda n: tiled(tiles, per_tile, n), lambda n, b, a: allgather(m, n, b, a), math.ceil(tiles / CORES)


def optimize(width, height, spp, params):
    m, tiles = film_bytes(width, height)
    per_tile = 16 * 16 * spp * (1 + GRADIENT_COST) / paths_per_core
    g = tiles * params * 8
    return (lambda n: tiled(tiles, per_tile, n),
            lambda n, b, a: allgather(m, n, b, a) + allgather(g, n, b, a), math.ceil(tiles / CORES))


def train(batch, params):
    # One rank a node here (the trainer is one thread): a batch of `batch` shots needs at most `batch` ranks.
    return (lambda n: seconds_per_shot * math.ceil(batch / n) if n <= batch else float("nan"),
            lambda n, b, a: chain_sum(8 * (params + 1), n, b, a), batch)


def shac(envs, horizon, actor_params, critic_params, observation=4, passes=16, batches=4):
    # An iteration: the environments' windows (at most one a node) and the critic's fit, `passes` over the
    # samples in `batches` mini-batches, each spread only while a node's share of it is at least 2^17
    # example-weights (Communicator.sharing; below that every node fits the whole mini-batch). The step's
    # measured time is split by multiply-adds: 3 a weight for the actor's passes and 2 critic predictions
    # (TD targets, cost-to-go) against `passes` x 3 a critic weight for the fit. Communication: the actor's
    # running sum, the windows' TD targets and observations gathered, one running sum a spread mini-batch.
    steps, batch = envs * horizon, envs * horizon // batches
    window_ops, fit_ops = 3 * actor_params + 2 * critic_params, passes * 3 * critic_params
    window_time = seconds_per_step * window_ops / (window_ops + fit_ops)
    spread_fit = lambda n: n > 1 and batch * critic_params // n >= 2 ** 17
    return (lambda n: window_time * steps / min(n, envs) + (seconds_per_step - window_time) * steps / (n if spread_fit(n) else 1),
            lambda n, b, a: chain_sum(8 * actor_params, n, b, a) + allgather(8 * steps * (observation + 1), n, b, a)
            + (passes * batches * chain_sum(8 * critic_params, n, b, a) if spread_fit(n) else 0), envs)


WORKLOADS = [
    ("render 1920x1080, 1024 spp (a film frame)", *render(1920, 1080, 1024)),
    ("render 1920x1080, 16 spp (a preview)", *render(1920, 1080, 16)),
    ("optimize 256x256, 64 spp, 3 parameters (a colour): one iteration", *optimize(256, 256, 64, 3)),
    ("optimize 256x256, 64 spp, 30,000 parameters (10,000 vertices): one iteration", *optimize(256, 256, 64, 30000)),
    ("train trebuchet, a batch of 256 shots, 8,642 weights: one batch", *train(256, 8642)),
    ("train cartpole (actor-critic), 25 environments x 20 steps: one iteration", *shac(25, 20, 1369, 4545)),
]

print(f"per core: {paths_per_core / 1e6:.3f} M paths/s, {seconds_per_shot * 1e6:.0f} us per trebuchet shot (with its gradient); "
      f"{seconds_per_step * 1e6:.0f} us per actor-critic step (its critic's fit included); {CORES} cores a node")
for name, compute, communicate, most in WORKLOADS:
    print(f"\n{name}")
    print("  nodes  compute       " + "  ".join(f"{k:>28s}" for k in NETWORKS))
    for n in NODES:
        c = compute(n)
        cells = []
        for beta, alpha in NETWORKS.values():
            t = communicate(n, beta, alpha)
            cells.append(f"{t * 1e3:10.2f} ms ({100 * t / (c + t):5.1f} % comm)" if c == c else "(more ranks than shots)")
        print(f"  {n:5d}  {c * 1e3:10.2f} ms  " + "  ".join(f"{x:>28s}" for x in cells))
    unit = "environment a node" if "actor-critic" in name else "shot a node" if "train" in name else "tile a core"
    print(f"  the work runs out at {most} nodes (one {unit}): no speed-up beyond")
    for label, (beta, alpha) in NETWORKS.items():
        crossover = next((n for n in range(2, most + 1) if communicate(n, beta, alpha) >= compute(n)), None)
        print(f"  {label}: " + (f"communication exceeds compute from {crossover} nodes" if crossover
                                 else "communication stays below compute up to there"))
