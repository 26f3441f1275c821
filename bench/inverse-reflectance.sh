#!/usr/bin/env bash
# Inverse rendering of a colour: recover the Cornell box's red-wall reflectance
# from (0.3, 0.3, 0.3) with ITERS Adam iterations at RES², SPP spp, against a
# target rendered at TARGET_SPP spp. Prints the recovered value, the largest
# per-channel error (PASS when ≤ 0.01) and the time per iteration; then, when
# the Mitsuba 3 reference tool is there, Mitsuba's `prb` on the same task in
# the same run (`mitsuba-ref iterate`) and the ratio of the two times per iteration.
#   bench/inverse-reflectance.sh [OUT_DIR]            (default out/inverse-reflectance)
#   environment: ITERS (50), RES (128), SPP (16), TARGET_SPP (1024), MITSUBA_REF
set -euo pipefail
source "$(dirname "$0")/common.sh"
out=${1:-out/inverse-reflectance}
iters=${ITERS:-50}; res=${RES:-128}; spp=${SPP:-16}; target_spp=${TARGET_SPP:-1024}
mkdir -p "$out"
truth="0.570068,0.0430135,0.0443706"
target="$out/target-${res}px-${target_spp}spp.exr"
[[ -f $target ]] || "$DIFFRAY" render scenes/cornell-box.xml -D res="$res" --spp "$target_spp" --seed 7 --hdr "$target" >&2
"$DIFFRAY" optimize scenes/cornell-box.xml -D res="$res" --target "$target" \
    --param red.reflectance.value --init red.reflectance.value=0.3,0.3,0.3 \
    --iters "$iters" --spp "$spp" --lr 0.05 --out-dir "$out/run" --json | tee "$out/result.txt"
python3 - "$out/result.txt" "$truth" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
got = r["params"]["red.reflectance.value"]
truth = [float(x) for x in sys.argv[2].split(",")]
err = [abs(a - b) for a, b in zip(got, truth)]
print("recovered", [round(x, 4) for x in got], "truth", truth, "max error %.4f" % max(err),
      "PASS" if max(err) <= 0.01 else "FAIL", "(%.2f s per iteration)" % r["seconds_per_iteration"])
PY
if [[ -n $MITSUBA ]]; then
  "$MITSUBA" iterate scenes/cornell-box.xml -D res="$res" --param red.reflectance.value --init 0.3,0.3,0.3 \
      --iters "$iters" --spp "$spp" --lr 0.05 --target-spp "$target_spp" 2>/dev/null | tail -n 1 > "$out/mitsuba.txt"
  python3 - "$out/mitsuba.txt" "$truth" "$out/result.txt" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).read())
truth = [float(x) for x in sys.argv[2].split(",")]
err = [abs(a - b) for a, b in zip(r["value"], truth)]
print("mitsuba 3 prb: recovered", [round(x, 4) for x in r["value"]], "max error %.4f" % max(err),
      "(%.2f s per iteration)" % r["seconds_per_iteration"])
ours = json.loads(open(sys.argv[3]).read().strip().splitlines()[-1])["seconds_per_iteration"]
print("ratio of seconds per iteration, diffray / mitsuba: %.2fx" % (ours / r["seconds_per_iteration"]))
PY
else
  echo "mitsuba 3: skipped (no mitsuba-ref: set MITSUBA_REF or put it at ../shared/tools/mitsuba-ref)"
fi
