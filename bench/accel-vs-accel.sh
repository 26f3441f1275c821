#!/usr/bin/env bash
# The two acceleration structures of one diffray binary on the same renders, in
# one run: the BVH (`--accel bvh`) against Embree (`--accel embree`), measured by
# bench/variant-vs-variant.sh (instructions, CPU seconds, paths/s, image error).
#   bench/accel-vs-accel.sh [RUNS]        (RUNS default 3; QUICK=1: Cornell box only, 1 run)
set -euo pipefail
exec "$(dirname "$0")/variant-vs-variant.sh" "BVH:--accel bvh" "Embree:--accel embree" "$@"
