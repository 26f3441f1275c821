#!/usr/bin/env bash
# Cost of a gradient relative to the primal render, same scene, resolution and
# spp, in one run: reverse mode (primal + path replay) and forward mode (one
# Dual8 pass per 8 parameter components). Medians of RUNS runs.
#   bench/gradient-cost.sh [SCENE] [RES] [SPP] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
scene=${1:-scenes/cornell-box.xml}; res=${2:-64}; spp=${3:-16}; runs=${4:-3}
bin=.build/release/diffray
[[ -x $bin ]] || swift build -c release --product diffray >&2
keys=(--param red.reflectance.value --param light.emitter.radiance.value)
median() { python3 -c "import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
p=(); r=(); f=()
for i in $(seq "$runs"); do
  p+=($($bin render "$scene" -D res="$res" --spp "$spp" -o /tmp/diffray-bench-primal.png --json 2>/dev/null | tail -n1 \
        | python3 -c "import json,sys; print(json.load(sys.stdin)['seconds'])"))
  r+=($($bin grad "$scene" -D res="$res" --spp "$spp" "${keys[@]}" --mode reverse --json 2>/dev/null | tail -n1 \
        | python3 -c "import json,sys; print(json.load(sys.stdin)['seconds'])"))
  f+=($($bin grad "$scene" -D res="$res" --spp "$spp" "${keys[@]}" --mode forward --json 2>/dev/null | tail -n1 \
        | python3 -c "import json,sys; print(json.load(sys.stdin)['seconds'])"))
done
mp=$(median "${p[@]}"); mr=$(median "${r[@]}"); mf=$(median "${f[@]}")
python3 - "$mp" "$mr" "$mf" "$scene" "$res" "$spp" <<'PY'
import sys
p, r, f = map(float, sys.argv[1:4])
print(f"{sys.argv[4]} {sys.argv[5]}x{sys.argv[5]} {sys.argv[6]} spp, 6 parameter components: primal {p:.3f} s, "
      f"reverse {r:.3f} s ({r/p:.2f}x), forward {f:.3f} s ({f/p:.2f}x)")
print('{"primal_seconds": %g, "reverse_seconds": %g, "forward_seconds": %g, "reverse_ratio": %.3f, "forward_ratio": %.3f}' % (p, r, f, r/p, f/p))
PY
