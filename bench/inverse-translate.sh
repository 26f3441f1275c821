#!/usr/bin/env bash
# Acceptance (issue 4, item 9b): recover an object's pose from a target image.
# The target is scenes/inverse-translate.xml rendered at high spp with the box
# moved by (TX, 0, TZ) (|offset| ≈ 0.46 scene units, through the scene's -D
# defaults); `diffray optimize` then recovers box.translate from 0 at 128²,
# 16 spp, with the boundary (edge-sampling) term on. Prints the recovered
# offset, its error and the time per iteration; exits 1 if the error > 0.01.
set -euo pipefail
cd "$(dirname "$0")/.."
DIFFRAY=${DIFFRAY:-.build-edges/release/diffray}
OUT=${OUT:-bench/out/inverse-translate}
TX=${TX:-0.32}
TZ=${TZ:--0.33}
ITERS=${ITERS:-100}
LR=${LR:-0.02}
SPP=${SPP:-16}
THREADS=${THREADS:-$(nproc)}
mkdir -p "$OUT"
SCENE=scenes/inverse-translate.xml
echo "target: box moved by ($TX, 0, $TZ), |offset| = $(python3 -c "print(round(($TX**2+$TZ**2)**0.5, 4))")"
"$DIFFRAY" render "$SCENE" -D "tx=$TX" -D "tz=$TZ" --spp 1024 --threads "$THREADS" --hdr "$OUT/target.exr" -o "$OUT/target.png"
"$DIFFRAY" optimize "$SCENE" --target "$OUT/target.exr" --param box.translate --iters "$ITERS" --lr "$LR" \
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
