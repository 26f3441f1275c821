#!/usr/bin/env bash
# Evaluates DiffRay's state policies in Gymnasium's own CartPole-v1 and Pendulum-v1:
# the model files' JSON weights run in a numpy forward pass, 100 episodes each
# (Gymnasium's start states from reset(seed=1000+i)), beside `diffray eval` of the
# same files (100 episodes from its default seed 12345). Prints both mean returns.
#   bench/gymnasium-check.sh [CARTPOLE.json PENDULUM.json]
# Without model files, trains both from the state with the defaults (seed 0) first.
# Needs the network once: a virtual environment ($VENV, default .build/gymnasium-venv)
# gets gymnasium and numpy from PyPI. Not part of `make test`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
EPISODES=${EPISODES:-100}
VENV=${VENV:-.build/gymnasium-venv}

if [[ ! -x $VENV/bin/python ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet gymnasium numpy
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ $# -ge 2 ]]; then
  cartpole=$(from_caller "$1"); pendulum=$(from_caller "$2")
else
  cartpole=$work/cartpole.json; pendulum=$work/pendulum.json
  "$DIFFRAY" train cartpole --seed 0 -o "$cartpole" > /dev/null
  "$DIFFRAY" train pendulum --seed 0 -o "$pendulum" > /dev/null
fi

for env in cartpole pendulum; do
  model=$([[ $env == cartpole ]] && echo "$cartpole" || echo "$pendulum")
  result=$("$DIFFRAY" eval $env --policy "$model" --episodes "$EPISODES" --json | tail -n 1)
  diffray_mean=$(json_field mean_reward <<< "$result"); diffray_std=$(json_field std_reward <<< "$result")
  "$VENV/bin/python" - "$env" "$model" "$EPISODES" "$diffray_mean" "$diffray_std" <<'PY'
import json, sys
import numpy as np
import gymnasium as gym

env_name, path, episodes = sys.argv[1], sys.argv[2], int(sys.argv[3])
diffray_mean, diffray_std = float(sys.argv[4]), float(sys.argv[5])
model = json.load(open(path))
p = np.array(model["parameters"], dtype=np.float64)
activations = {"relu": lambda x: np.maximum(x, 0), "tanh": np.tanh, "identity": lambda x: x,
               "sigmoid": lambda x: 1 / (1 + np.exp(-x)), "softplus": lambda x: np.logaddexp(x, 0)}

def forward(x):
    """DiffRay's dense layers: a row-major (outputs x inputs) weight matrix, then the biases."""
    o = 0
    for layer in model["layers"]:
        if layer["type"] == "dense":
            ni, no = layer["inputs"], layer["outputs"]
            w = p[o:o + ni * no].reshape(no, ni); b = p[o + ni * no:o + ni * no + no]
            x = w @ x + b
            o += ni * no + no
        elif layer["type"] == "activation":
            x = activations[layer["function"]](x)
        else:
            raise SystemExit(f"{path}: layer type {layer['type']} is not a state policy's")
    return x

if env_name == "cartpole":
    env = gym.make("CartPole-v1")
    # DiffRay pushes right (+10 N) when the output is >= 0: Gymnasium's action 1
    act = lambda obs: int(forward(obs)[0] >= 0)
else:
    env = gym.make("Pendulum-v1")
    # torque = 2 * network(cos, sin, thetadot / 8)
    act = lambda obs: np.array([2.0 * forward(np.array([obs[0], obs[1], obs[2] / 8.0]))[0]], dtype=np.float32)

returns = []
for i in range(episodes):
    obs, _ = env.reset(seed=1000 + i)
    total, done = 0.0, False
    while not done:
        obs, reward, terminated, truncated, _ = env.step(act(obs.astype(np.float64)))
        total += float(reward); done = terminated or truncated
    returns.append(total)
r = np.array(returns)
name = "CartPole-v1" if env_name == "cartpole" else "Pendulum-v1"
# the start states differ (each draws its own), so the means agree within their standard errors
se = ((diffray_std ** 2 + r.std() ** 2) / episodes) ** 0.5
z = abs(diffray_mean - r.mean()) / se if se > 0 else 0.0
print(f"{name}: DiffRay mean return {diffray_mean:.2f} ± {diffray_std:.2f}, Gymnasium mean return {r.mean():.2f} ± {r.std():.2f} "
      f"({episodes} episodes each, gymnasium {gym.__version__}); difference {z:.1f} standard errors")
PY
done
