#!/usr/bin/env bash
# Runs each fuzz target (all, or the NAMEs given) for FUZZ_SECONDS (default 60) on its
# seed corpus; new inputs go to .build-fuzz/corpus/NAME, crashes and their inputs to
# .build-fuzz/crashes/. Prints one summary line per target; exits 1 if any target failed.
# FUZZ_JOBS (default 1) runs that many fuzzing processes per target.
set -uo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${FUZZ_SCRATCH:-.build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-60}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in Fuzz/Targets/*.swift; do targets+=("$(basename "$f" .swift)"); done
fi
mkdir -p "$SCRATCH/crashes"
failed=0
for name in "${targets[@]}"; do
    binary="$SCRATCH/fuzz-$name"
    [ -x "$binary" ] || { echo "fuzz $name: no binary $binary (run Fuzz/build.sh)"; failed=1; continue; }
    corpus="$SCRATCH/corpus/$name"
    mkdir -p "$corpus"
    dict=()
    [ -f "Fuzz/Dictionaries/$name.dict" ] && dict=(-dict="Fuzz/Dictionaries/$name.dict")
    log="$SCRATCH/fuzz-$name.log"
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} "$binary" "$corpus" "Fuzz/Corpus/$name" "${dict[@]}" \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
        -artifact_prefix="$SCRATCH/crashes/$name-" -print_final_stats=1 >"$log" 2>&1
    status=$?
    runs=$(grep -a 'stat::number_of_executed_units' "$log" | awk '{print $2}')
    edges=$(grep -a -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
    if [ $status -eq 0 ]; then
        echo "fuzz $name: ${runs:-?} executions in ${SECONDS_EACH} s, coverage ${edges:-?} edges, no failure"
    else
        echo "fuzz $name: FAILED (status $status) after ${runs:-?} executions; see $log and $SCRATCH/crashes/"
        failed=1
    fi
done
exit $failed
