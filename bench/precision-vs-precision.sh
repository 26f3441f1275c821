#!/usr/bin/env bash
# `render` in double precision against single precision (`--precision double`,
# `--precision single`), one binary, with each acceleration structure in turn,
# measured by bench/variant-vs-variant.sh (instructions, CPU seconds, paths/s,
# the single-precision image's error against the double one's).
#   bench/precision-vs-precision.sh [RUNS]     (RUNS default 3; QUICK=1: Cornell box only, 1 run; SMALL=1: no heightfield)
set -euo pipefail
for accel in embree bvh; do
  echo "--accel $accel"
  "$(dirname "$0")/variant-vs-variant.sh" "double:--accel $accel --precision double" \
    "single:--accel $accel --precision single" "$@"
done
