#!/usr/bin/env bash
# Peak memory of a reverse-mode gradient (path replay) at 16 and 1024 spp:
# constant memory means the two are within a few percent.
#   bench/reverse-memory.sh [SCENE] [RES]     (defaults: scenes/cornell-box.xml 32)
set -euo pipefail
source "$(dirname "$0")/common.sh"
scene=${1:-scenes/cornell-box.xml}
res=${2:-32}
if [[ ! -x /usr/bin/time ]]; then  # GNU time measures the peak resident set
  if [[ $(id -u) == 0 ]]; then SUDO=""; else SUDO=sudo; fi
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq time; } >&2
fi
peak() {  # max resident set size in KiB
  /usr/bin/time -f '%M' "$DIFFRAY" grad "$scene" -D res="$res" --spp "$1" --param red.reflectance.value \
      --param light.emitter.radiance.value --mode reverse 2>&1 >/dev/null | tail -n 1
}
low=$(peak 16)
high=$(peak 1024)
ratio=$(python3 -c "print(f'{$high/$low:.3f}')")
echo "peak RSS: 16 spp ${low} KiB, 1024 spp ${high} KiB, ratio ${ratio} (${res}x${res}, $scene)"
echo "{\"rss_kib_16spp\": $low, \"rss_kib_1024spp\": $high, \"ratio\": $ratio}"
