#!/usr/bin/env bash
# Acceptance task of the gradients issue: recover the Cornell box's red-wall
# reflectance from (0.3, 0.3, 0.3) with 50 Adam iterations at 128², 16 spp,
# against a target rendered at 1024 spp. Prints the recovered value, the
# per-channel error and the time per iteration.
#   bench/inverse-reflectance.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/inverse-reflectance}
bin=.build/release/diffray
[[ -x $bin ]] || swift build -c release --product diffray >&2
mkdir -p "$out"
truth="0.570068,0.0430135,0.0443706"
[[ -f $out/target.exr ]] || $bin render scenes/cornell-box.xml -D res=128 --spp 1024 --seed 7 --hdr "$out/target.exr" >&2
$bin optimize scenes/cornell-box.xml -D res=128 --target "$out/target.exr" \
    --param red.reflectance.value --init red.reflectance.value=0.3,0.3,0.3 \
    --iters 50 --spp 16 --lr 0.05 --out-dir "$out/run" --json | tee "$out/result.txt"
python3 - "$out/result.txt" "$truth" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
got = r["params"]["red.reflectance.value"]
truth = [float(x) for x in sys.argv[2].split(",")]
err = [abs(a - b) for a, b in zip(got, truth)]
print("recovered", [round(x, 4) for x in got], "truth", truth, "max error %.4f" % max(err),
      "PASS" if max(err) <= 0.01 else "FAIL", "(%.2f s per iteration)" % r["seconds_per_iteration"])
PY
