#!/usr/bin/env bash
# Runs every script of bench/ and tools/ in a quick mode (small resolution, few
# samples and iterations) in a temporary copy of the repository, and checks
# what each prints and writes. The parts that need Mitsuba 3 run only when its
# reference tool is there ($MITSUBA_REF, default ../shared/tools/mitsuba-ref);
# the scripts then say they skipped it. Used by `make test`.
#   tools/test-scripts.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
[[ -x .build/release/diffray ]] || swift build -c release --product diffray >&2
export DIFFRAY=$root/.build/release/diffray
export MITSUBA_REF=${MITSUBA_REF:-$(cd .. && pwd)/shared/tools/mitsuba-ref}
# What the Mitsuba parts must print: their figures when the tool is there, else that they skipped.
if [[ -x $MITSUBA_REF ]]; then
  compared='ratio diffray / mitsuba: [0-9.]+x'; iterated='mitsuba 3 prb: recovered'; referenced='bsdf-diffuse: '
else
  echo "note: no mitsuba-ref at $MITSUBA_REF: the scripts' Mitsuba parts are skipped"
  compared='mitsuba 3: skipped'; iterated='mitsuba 3: skipped'; referenced='references: skipped'
fi

copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
git ls-files -co --exclude-standard -z | tar -c --null -T - -f - | tar -x -C "$copy" -f -
out=$copy/out
passed=0; failed=0

# check NAME STATUSES PATTERN COMMAND...: runs COMMAND in the copy; passes when its exit
# status is one of STATUSES (e.g. "0" or "0 1") and its output matches the regular expression PATTERN.
# The output is kept in last.txt for the next check to read.
check() {
  local name=$1 statuses=$2 pattern=$3; shift 3
  local log=$copy/log.txt status=0 start=$SECONDS
  (cd "$copy" && "$@") > "$log" 2>&1 || status=$?
  cp "$log" "$copy/last.txt"
  if [[ " $statuses " == *" $status "* ]] && grep -Eq "$pattern" "$log"; then
    passed=$((passed + 1)); echo "ok    $name ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1)); echo "FAIL  $name: exit status $status, expected $statuses and /$pattern/; output:"
    sed 's/^/      /' "$log" | tail -n 20
  fi
}

check "bench/compare-mitsuba.sh" 0 'diffray: +[0-9.]+ M paths/s' \
  bench/compare-mitsuba.sh scenes/cornell-box.xml 1 1 -D res=16
check "bench/compare-mitsuba.sh: the Mitsuba part" 0 "$compared" \
  cat last.txt
check "bench/gradient-cost.sh" 0 '"reverse_ratio": [0-9.]+, "forward_ratio": [0-9.]+' \
  bench/gradient-cost.sh scenes/cornell-box.xml 8 1 1
check "bench/geometry-gradient-cost.sh" 0 '"cpu_ratio": [0-9.]+' \
  bench/geometry-gradient-cost.sh scenes/box-on-floor.xml box.translate 1 1
check "bench/geometry-gradient-cost.sh: usage" 2 'usage: bench/geometry-gradient-cost.sh' \
  bench/geometry-gradient-cost.sh
check "bench/gradient-spread.sh" 0 '"cost_ratio": [0-9.]+' \
  bench/gradient-spread.sh scenes/box-on-floor.xml box.translate 1 2 4 1,1 4 -D res=8
check "bench/gradient-components.sh" 0 '"deeper": \{"mean": \[' \
  bench/gradient-components.sh scenes/box-on-floor.xml box.translate 1 2 1,1 -D res=8
check "bench/binary-vs-binary.sh refuses a missing binary (a full run takes minutes under callgrind)" 2 'usage: bench/binary-vs-binary.sh' \
  bench/binary-vs-binary.sh only-one
check "bench/accel-vs-accel.sh (Cornell box)" 0 '\| Cornell box \| [0-9.,]+ M \| [0-9.,]+ M \| [0-9.]+ \|.*mean relative error [0-9.]+ \|' \
  env QUICK=1 bench/accel-vs-accel.sh
check "bench/precision-vs-precision.sh (Cornell box)" 0 '\| Cornell box \| [0-9.,]+ M \| [0-9.,]+ M \| [0-9.]+ \| [0-9.,]+ M \|.*mean relative error [0-9.]+ \|' \
  env QUICK=1 bench/precision-vs-precision.sh
check "bench/reverse-memory.sh" 0 '"ratio": [0-9.]+' \
  bench/reverse-memory.sh scenes/cornell-box.xml 8
check "bench/inverse-reflectance.sh" 0 'recovered \[.*max error [0-9.]+ (PASS|FAIL)' \
  env ITERS=2 RES=16 SPP=1 TARGET_SPP=4 bench/inverse-reflectance.sh "$out/reflectance"
check "bench/inverse-reflectance.sh: the Mitsuba part" 0 "$iterated" \
  cat last.txt
check "bench/inverse-reflectance.sh writes into its OUT_DIR" 0 'iter-0001.png' \
  ls "$out/reflectance/run"
check "bench/inverse-translate.sh (the error is not asked to meet its goal here)" "0 1" \
  'max abs error [0-9.]+ \(goal <= 0.01\), 2 iterations' \
  env ITERS=2 RES=16 SPP=1 TARGET_SPP=4 bench/inverse-translate.sh "$out/translate"
check "bench/inverse-translate.sh writes into its OUT_DIR" 0 'target.exr' \
  ls "$out/translate"
check "bench/mpi-scaling.sh" 0 'trebuchet +train trebuchet, 320 shots.*efficiency [0-9.]+ % \(CPU\); rank 0 sent 69144 bytes per batch' \
  env RES=16 SPP=4 ITERS=2 SHOTS=320 EPISODES=1 PIXEL_EPISODES=1 PIXEL_RES=8 bench/mpi-scaling.sh 1
check "bench/mpi-scaling.sh: the cart-pole and pendulum trainers" 0 'cartpole-envs +train cartpole --envs 25 --horizon 20, 1 episodes.*efficiency [0-9.]+ % \(CPU\); rank 0 sent [0-9]+ bytes per episode' \
  cat last.txt
check "bench/soak.sh --minutes (timed mode, a few iterations)" 0 'soak optimize: .*identical to the uninterrupted run' \
  env SOAK_ITERS=6 SOAK_EPISODES=3 bench/soak.sh --minutes 0.1 --train-minutes 0.1
check "bench/mpi-model.py" 0 'communication exceeds compute from [0-9]+ nodes' \
  python3 bench/mpi-model.py
check "tools/make-references.sh" 0 "$referenced" \
  env SPP=4 OUT="$out/references" tools/make-references.sh bsdf-diffuse
check "tools/make-test-scenes.py rewrites the committed test scenes exactly" 0 '^$' \
  bash -c "python3 tools/make-test-scenes.py && diff -r '$root/Tests/Fixtures/scenes' Tests/Fixtures/scenes && echo"
check "tools/make-plugin-scenes.py rewrites the committed plugin scenes exactly" 0 '^$' \
  bash -c "python3 tools/make-plugin-scenes.py >/dev/null && diff -r '$root/Tests/Fixtures/plugin-scenes' Tests/Fixtures/plugin-scenes && echo"
check "tools/make-assets.py rewrites the committed assets exactly" 0 '^$' \
  bash -c "python3 tools/make-assets.py >/dev/null && diff -r '$root/scenes' scenes && echo"

echo "scripts: $passed passed, $failed failed"
[[ $failed == 0 ]]
