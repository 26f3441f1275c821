#!/usr/bin/env bash
# Inverse rendering of a pose: recover an object's offset from a target image.
# The target is scenes/inverse-translate.xml rendered at TARGET_SPP spp with the
# box moved by (TX, 0, TZ) (|offset| ≈ 0.46 scene units with the defaults);
# `diffray optimize` then recovers box.translate from 0 at RES², SPP spp, with
# the boundary (edge-sampling) term on. Prints the recovered offset, its error
# and the time per iteration; exits 1 if the error is over 0.01.
#   bench/inverse-translate.sh [OUT_DIR]              (default $OUT, else out/inverse-translate)
#   environment: TX (0.32), TZ (-0.33), ITERS (100), LR (0.02), RES (128), SPP (16),
#                TARGET_SPP (1024), THREADS (all cores)
set -euo pipefail
source "$(dirname "$0")/common.sh"
OUT=${1:-${OUT:-out/inverse-translate}}
TX=${TX:-0.32}
TZ=${TZ:--0.33}
ITERS=${ITERS:-100}
LR=${LR:-0.02}
RES=${RES:-128}
SPP=${SPP:-16}
TARGET_SPP=${TARGET_SPP:-1024}
THREADS=${THREADS:-$(nproc)}
mkdir -p "$OUT"
SCENE=scenes/inverse-translate.xml
echo "target: box moved by ($TX, 0, $TZ), |offset| = $(python3 -c "import sys; x, z = map(float, sys.argv[1:]); print(round((x * x + z * z) ** 0.5, 4))" "$TX" "$TZ")"
"$DIFFRAY" render "$SCENE" -D "res=$RES" -D "tx=$TX" -D "tz=$TZ" --spp "$TARGET_SPP" --threads "$THREADS" \
    --hdr "$OUT/target.exr" -o "$OUT/target.png"
"$DIFFRAY" optimize "$SCENE" -D "res=$RES" --target "$OUT/target.exr" --param box.translate --iters "$ITERS" --lr "$LR" \
    --spp "$SPP" --threads "$THREADS" --out-dir "$OUT" --json | tee "$OUT/result.txt"
python3 - "$OUT/result.txt" "$TX" "$TZ" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().strip().splitlines()
r = json.loads(lines[-1])
tx, tz = float(sys.argv[2]), float(sys.argv[3])
got = r["params"]["box.translate"]
err = [got[0] - tx, got[1] - 0.0, got[2] - tz]
worst = max(abs(e) for e in err)
print(f"recovered box.translate = [{got[0]:.5f}, {got[1]:.5f}, {got[2]:.5f}], truth [{tx}, 0, {tz}]")
print(f"max abs error {worst:.5f} (goal <= 0.01), {r['iterations']} iterations, {r['seconds_per_iteration']:.3f} s per iteration")
sys.exit(0 if worst <= 0.01 else 1)
PY
