#!/usr/bin/env bash
# Kill-and-resume soak: an `optimize` run and a `train --pixels` run are killed with
# SIGKILL at random moments and resumed until they finish; each must end with exactly
# the files of an uninterrupted run (params.json; the model JSON), byte for byte.
#
#   bench/soak.sh            short mode (a minute or two): 12 iterations / 6 episodes, 4 kills each
#   bench/soak.sh --long     long mode: 80 iterations / 30 episodes, 25 kills each
#   bench/soak.sh --minutes M [--train-minutes N]
#                            timed mode: an `optimize` of the Cornell box (32x32, 4 spp, 1 thread)
#                            lasting about M minutes, and a pixel training run of about N
#                            minutes (default M/4; a `train pendulum --pixels`), each killed about once a minute at random moments
#                            over its whole length; the uninterrupted runs go alongside, and their
#                            resident memory is sampled every 5 s to show it stays flat. The lengths
#                            come from a short timing run; on a busy machine set them with
#                            SOAK_ITERS and SOAK_EPISODES.
#
# Uses $DIFFRAY (default .build/release/diffray; build it with
# `swift build -c release --product diffray`). Prints one line per run and exits 1 on a mismatch.
set -euo pipefail
cd "$(dirname "$0")/.."
DIFFRAY=${DIFFRAY:-$PWD/.build/release/diffray}
[ -x "$DIFFRAY" ] || { echo "soak: no binary at $DIFFRAY (swift build -c release --product diffray)" >&2; exit 2; }
ITERS=12; EPISODES=6; KILLS=4; MINUTES=; TRAIN_MINUTES=
while [ $# -gt 0 ]; do
    case $1 in
        --long) ITERS=80; EPISODES=30; KILLS=25 ;;
        --minutes) MINUTES=${2:?--minutes needs a number}; shift ;;
        --train-minutes) TRAIN_MINUTES=${2:?--train-minutes needs a number}; shift ;;
        *) echo "soak: unknown argument '$1' (expected --long, --minutes M, --train-minutes N)" >&2; exit 2 ;;
    esac
    shift
done
positive() { [[ $1 =~ ^[0-9]+([.][0-9]+)?$ ]] && [ "$(echo "$1 > 0" | bc)" = 1 ]; }
if [ -n "$MINUTES" ]; then
    positive "$MINUTES" || { echo "soak: --minutes '$MINUTES': expected a positive number" >&2; exit 2; }
    TRAIN_MINUTES=${TRAIN_MINUTES:-$(echo "scale=2; $MINUTES / 4" | bc)}
    positive "$TRAIN_MINUTES" || { echo "soak: --train-minutes '$TRAIN_MINUTES': expected a positive number" >&2; exit 2; }
elif [ -n "$TRAIN_MINUTES" ]; then
    echo "soak: --train-minutes goes with --minutes" >&2; exit 2
fi
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

# soak_timed NAME RESULT_FILE CHECKPOINT SECONDS COMMAND...: the uninterrupted run and the
# killed-and-resumed one go side by side (1 thread each); kills come at uniformly random
# intervals of 6-114 s (a twentieth of a run shorter than 20 minutes, give or take 90 %) over the whole run; the uninterrupted run's resident memory is
# sampled every 5 s.
soak_timed() {
    local name=$1 result=$2 checkpoint=$3 planned=$4; shift 4
    local dir="$WORK/${name// /-}"
    mkdir -p "$dir/ref" "$dir/cut"
    cp "$WORK"/s.xml "$dir/ref/" 2>/dev/null || true; cp "$WORK"/s.xml "$dir/cut/" 2>/dev/null || true
    local start; start=$(now)
    (cd "$dir/ref" && exec "$@" >/dev/null 2>&1) &
    local ref=$!
    (while kill -0 $ref 2>/dev/null; do
        awk '/VmRSS/ {print $2}' /proc/$ref/status 2>/dev/null >> "$dir/rss.log"; sleep 5
     done) &
    local sampler=$!
    local kills=0 runs=0 resumed=0 status=1
    exec 3>&2 2>/dev/null  # no "Killed" line from the shell for every kill
    while :; do
        local resume=()
        [ -f "$dir/cut/$checkpoint" ] && resume=(--resume) && resumed=$((resumed + 1))
        runs=$((runs + 1))
        (cd "$dir/cut" && exec "$@" "${resume[@]}" >/dev/null 2>&1) &
        local pid=$!
        # A mean interval of a minute, or a twentieth of a shorter run.
        # (RANDOM drawn here: inside $(...) it would not advance, and every delay would be the same.)
        local r=$((RANDOM % 1801))
        local delay; delay=$(echo "scale=2; m = $planned / 20; if (m > 60) m = 60; m * (100 + $r) / 1000 + 0.5" | bc | sed 's/^[.]/0./')
        (sleep $delay; kill -9 $pid 2>/dev/null) &
        local killer=$!
        wait $pid && status=0 || status=$?
        kill $killer 2>/dev/null || true; wait $killer 2>/dev/null || true
        if [ $status -eq 137 ]; then kills=$((kills + 1)); continue; fi
        break
    done
    exec 2>&3 3>&-
    local cutSeconds; cutSeconds=$(echo "$(now) - $start" | bc)
    local refStatus=0; wait $ref || refStatus=$?
    wait $sampler 2>/dev/null || true
    local left; left=$(find "$dir/cut" -name '.*.tmp' | wc -l)
    local memory; memory=$(awk '{ v[NR] = $1; if ($1 > m) m = $1 } END {
        if (NR < 3) { print "too short to sample memory"; exit }
        printf "resident memory of the uninterrupted run %.1f MB at 10 %% of it, %.1f MB at half, %.1f MB at its end, %.1f MB at most (%d samples)",
            v[int(NR / 10) + 1] / 1024, v[int(NR / 2) + 1] / 1024, v[NR] / 1024, m / 1024, NR }' "$dir/rss.log")
    if [ $status -eq 0 ] && [ $refStatus -eq 0 ] && cmp -s "$dir/ref/$result" "$dir/cut/$result" && [ "$left" -eq 0 ]; then
        printf 'soak %s: %.0f min, %d SIGKILLs, %d runs (%d resumed from a checkpoint), %s identical to the uninterrupted run, 0 temporary files left; %s\n' \
            "$name" "$(echo "$cutSeconds / 60" | bc -l)" $kills $runs $resumed "$result" "$memory"
    else
        printf 'soak %s: MISMATCH after %d SIGKILLs (status %d, reference status %d, %d temporary files left; seed %s)\n' \
            "$name" $kills $status $refStatus "$left" "$SEED"
        return 1
    fi
}

# per_unit SECONDS_FOR_2 SECONDS_FOR_10: the cost of one more unit (iteration, episode),
# doubled since the soaks run four processes side by side where the calibration ran one.
per_unit() { echo "scale=4; x = ($2 - $1) / 4; if (x < 0.001) x = 0.001; x" | bc; }
timed() { local s; s=$(now); "$@" >/dev/null 2>&1; echo "$(now) - $s" | bc; }

if [ -n "$MINUTES" ]; then
    cd "$WORK"
    "$DIFFRAY" render "$SCENES/cornell-box.xml" -D res=32 --spp 256 --hdr target.exr >/dev/null
    opt=("$DIFFRAY" optimize "$SCENES/cornell-box.xml" -D res=32 --target "$WORK/target.exr"
         --param red.reflectance.value --init red.reflectance.value=0.3,0.3,0.3 --spp 4 --threads 1 --out-dir out)
    a=$(timed "${opt[@]}" --iters 2 --out-dir "$WORK/c2"); b=$(timed "${opt[@]}" --iters 10 --out-dir "$WORK/c4")
    iters=${SOAK_ITERS:-$(echo "$MINUTES * 60 / $(per_unit "$a" "$b")" | bc)}
    # The pendulum's episodes have a fixed length, so its run time is foreseeable.
    train=("$DIFFRAY" train pendulum --pixels --trainer surrogate --view-res 8 --view-spp 1 --seed 2 --scenes "$SCENES" -o m.json)
    a=$(timed "${train[@]}" --episodes 2 -o "$WORK/c2.json"); b=$(timed "${train[@]}" --episodes 10 -o "$WORK/c4.json")
    episodes=${SOAK_EPISODES:-$(echo "$TRAIN_MINUTES * 60 / $(per_unit "$a" "$b")" | bc)}
    [ "$episodes" -ge 2 ] || episodes=2
    echo "soak: optimize --iters $iters (about $MINUTES min), train pendulum --pixels --episodes $episodes (about $TRAIN_MINUTES min), side by side"
    failed=0
    soak_timed optimize out/params.json out/checkpoint.json "$(echo "$MINUTES * 60" | bc)" "${opt[@]}" --iters "$iters" &
    o=$!
    soak_timed "train --pixels" m.json m.checkpoint.json "$(echo "$TRAIN_MINUTES * 60" | bc)" "${train[@]}" --episodes "$episodes" &
    t=$!
    wait $o || failed=1
    wait $t || failed=1
    exit $failed
fi

mkdir -p "$WORK/ref" "$WORK/cut"
scene 0.2 > "$WORK/ref/s.xml"; cp "$WORK/ref/s.xml" "$WORK/cut/s.xml"
scene 0.6 > "$WORK/t.xml"
"$DIFFRAY" render "$WORK/t.xml" --hdr "$WORK/t.exr" >/dev/null
soak optimize out/params.json out/checkpoint.json \
    "$DIFFRAY" optimize s.xml --target "$WORK/t.exr" --param mat.reflectance.value --iters $ITERS --spp 32 --out-dir out

rm -rf "$WORK/ref" "$WORK/cut"; mkdir -p "$WORK/ref" "$WORK/cut"
soak "train --pixels" m.json m.checkpoint.json \
    "$DIFFRAY" train cartpole --pixels --trainer surrogate --view-res 8 --view-spp 1 --seed 2 --episodes $EPISODES --scenes "$SCENES" -o m.json
