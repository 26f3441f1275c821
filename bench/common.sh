# Shared by the scripts of bench/ and tools/ (sourced, not run). Moves to the
# package root and defines:
#   DIFFRAY       the release binary ($DIFFRAY, default .build/release/diffray), built if missing
#   MITSUBA       the Mitsuba 3 reference tool ($MITSUBA_REF, default ../shared/tools/mitsuba-ref),
#                 empty when it is not there
#   median        the median of the numbers on standard input, one a line
#   json_field K  field K of the JSON object on the last line of standard input
#   from_caller F a file argument F as the caller meant it: relative to the folder the
#                 script was started from, which is not the package root it moves to
CALLER_DIR=$PWD
from_caller() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$CALLER_DIR/$1" ;; esac; }
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DIFFRAY=${DIFFRAY:-.build/release/diffray}
if [[ ! -x $DIFFRAY ]]; then
  if [[ $DIFFRAY != .build/release/diffray ]]; then
    echo "${0##*/}: DIFFRAY=$DIFFRAY is not an executable file" >&2
    exit 2
  fi
  swift build -c release --product diffray >&2
fi

MITSUBA=${MITSUBA_REF:-$(cd .. && pwd)/shared/tools/mitsuba-ref}
[[ -x $MITSUBA ]] || MITSUBA=""

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
json_field() { python3 -c "import json, sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])['$1'])"; }
