#!/usr/bin/env bash
# Cost of a gradient relative to the primal render, same scene, resolution and
# spp, in one run: reverse mode (primal + path replay) and forward mode (one
# Dual8 pass per 8 parameter components). Medians of RUNS runs.
#   bench/gradient-cost.sh [SCENE] [RES] [SPP] [RUNS]     (defaults: scenes/cornell-box.xml 64 16 3)
set -euo pipefail
source "$(dirname "$0")/common.sh"
scene=${1:-scenes/cornell-box.xml}; res=${2:-64}; spp=${3:-16}; runs=${4:-3}
keys=(--param red.reflectance.value --param light.emitter.radiance.value)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for i in $(seq "$runs"); do
  "$DIFFRAY" render "$scene" -D res="$res" --spp "$spp" -o "$tmp/primal.png" --json 2>/dev/null \
    | json_field seconds >> "$tmp/primal.txt"
  "$DIFFRAY" grad "$scene" -D res="$res" --spp "$spp" "${keys[@]}" --mode reverse --json 2>/dev/null \
    | json_field seconds >> "$tmp/reverse.txt"
  "$DIFFRAY" grad "$scene" -D res="$res" --spp "$spp" "${keys[@]}" --mode forward --json 2>/dev/null \
    | json_field seconds >> "$tmp/forward.txt"
done
python3 - "$(median < "$tmp/primal.txt")" "$(median < "$tmp/reverse.txt")" "$(median < "$tmp/forward.txt")" \
    "$scene" "$res" "$spp" <<'PY'
import sys
p, r, f = map(float, sys.argv[1:4])
print(f"{sys.argv[4]} {sys.argv[5]}x{sys.argv[5]} {sys.argv[6]} spp, 6 parameter components: primal {p:.3f} s, "
      f"reverse {r:.3f} s ({r/p:.2f}x), forward {f:.3f} s ({f/p:.2f}x)")
print('{"primal_seconds": %g, "reverse_seconds": %g, "forward_seconds": %g, "reverse_ratio": %.3f, "forward_ratio": %.3f}' % (p, r, f, r/p, f/p))
PY
