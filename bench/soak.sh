#!/usr/bin/env bash
# Kill-and-resume soak: an `optimize` run and a `train --pixels` run are killed with
# SIGKILL at random moments and resumed until they finish; each must end with exactly
# the files of an uninterrupted run (params.json; the model JSON), byte for byte.
#
#   bench/soak.sh            short mode (a minute or two): 12 iterations / 6 episodes, 4 kills each
#   bench/soak.sh --long     long mode: 80 iterations / 30 episodes, 25 kills each
#
# Uses $DIFFRAY (default .build/release/diffray; build it with
# `swift build -c release --product diffray`). Prints one line per run and exits 1 on a mismatch.
set -euo pipefail
cd "$(dirname "$0")/.."
DIFFRAY=${DIFFRAY:-$PWD/.build/release/diffray}
[ -x "$DIFFRAY" ] || { echo "soak: no binary at $DIFFRAY (swift build -c release --product diffray)" >&2; exit 2; }
ITERS=12; EPISODES=6; KILLS=4
if [ "${1:-}" = "--long" ]; then ITERS=80; EPISODES=30; KILLS=25; fi
SEED=${SOAK_SEED:-$$}
RANDOM=$SEED
WORK=$(mktemp -d "${TMPDIR:-/tmp}/diffray-soak.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
SCENES=$PWD/scenes

scene() {  # $1: reflectance
cat <<XML
<?xml version="1.0"?>
<scene version="3.0.0">
    <sensor type="perspective">
        <float name="fov" value="40"/>
        <transform name="to_world"><lookat origin="0, 0, 4" target="0, 0, 0" up="0, 1, 0"/></transform>
        <film type="hdrfilm"><integer name="width" value="24"/><integer name="height" value="24"/></film>
        <sampler type="independent"><integer name="sample_count" value="16"/></sampler>
    </sensor>
    <emitter type="constant"><rgb name="radiance" value="1"/></emitter>
    <shape type="sphere"><bsdf type="diffuse" id="mat"><rgb name="reflectance" value="$1"/></bsdf></shape>
</scene>
XML
}

now() { date +%s.%N; }

# soak NAME RESULT_FILE CHECKPOINT COMMAND...: a reference run into ref/, then the same
# command into cut/, killed KILLS times at random moments and resumed, compared.
soak() {
    local name=$1 result=$2 checkpoint=$3; shift 3
    local start; start=$(now)
    (cd "$WORK/ref" && "$@" >/dev/null 2>&1)
    local seconds; seconds=$(echo "$(now) - $start" | bc)
    local kills=0 runs=0 resumed=0 status=1
    while :; do
        local resume=()
        [ -f "$WORK/cut/$checkpoint" ] && resume=(--resume) && resumed=$((resumed + 1))
        runs=$((runs + 1))
        if [ $kills -lt $KILLS ]; then
            # A random moment within the uninterrupted run's length.
            local r=$((RANDOM % 1000))
            # Within the first third of an uninterrupted run: a resumed run has less left to do.
            local delay; delay=$(echo "scale=3; $seconds * $r / 3000 + 0.02" | bc)
            [ -n "${SOAK_VERBOSE:-}" ] && echo "  run $runs: kill after $delay s${resume[*]:+ (resumed)}, checkpoint: $(ls "$WORK/cut/$checkpoint" 2>/dev/null)"
            (cd "$WORK/cut" && exec "$@" "${resume[@]}" >/dev/null 2>&1) &
            local pid=$!
            sleep "$delay"
            kill -9 $pid 2>/dev/null || true
            wait $pid 2>/dev/null && status=0 || status=$?
            if [ $status -eq 137 ]; then kills=$((kills + 1)); continue; fi
            break  # finished before the kill (0) or failed (anything else)
        else
            (cd "$WORK/cut" && "$@" "${resume[@]}" >/dev/null 2>&1) && status=0 || status=$?
            break
        fi
    done
    local left; left=$(find "$WORK/cut" -name '.*.tmp' | wc -l)
    if [ $status -eq 0 ] && cmp -s "$WORK/ref/$result" "$WORK/cut/$result" && [ "$left" -eq 0 ]; then
        printf 'soak %s: %d SIGKILLs, %d runs (%d resumed from a checkpoint), %s identical to the uninterrupted run (%.1f s), 0 temporary files left\n' \
            "$name" $kills $runs $resumed "$result" "$seconds"
    else
        printf 'soak %s: MISMATCH after %d SIGKILLs (status %d, %d temporary files left; seed %s)\n' "$name" $kills $status "$left" "$SEED"
        return 1
    fi
}

mkdir -p "$WORK/ref" "$WORK/cut"
scene 0.2 > "$WORK/ref/s.xml"; cp "$WORK/ref/s.xml" "$WORK/cut/s.xml"
scene 0.6 > "$WORK/t.xml"
"$DIFFRAY" render "$WORK/t.xml" --hdr "$WORK/t.exr" >/dev/null
soak optimize out/params.json out/checkpoint.json \
    "$DIFFRAY" optimize s.xml --target "$WORK/t.exr" --param mat.reflectance.value --iters $ITERS --spp 32 --out-dir out

rm -rf "$WORK/ref" "$WORK/cut"; mkdir -p "$WORK/ref" "$WORK/cut"
soak "train --pixels" m.json m.checkpoint.json \
    "$DIFFRAY" train cartpole --pixels --view-res 8 --view-spp 1 --seed 2 --episodes $EPISODES --scenes "$SCENES" -o m.json
