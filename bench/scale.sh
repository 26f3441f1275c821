#!/usr/bin/env bash
# Large scenes: load time, acceleration-structure build time, peak memory,
# memory per triangle and paths/s of DiffRay, beside Mitsuba 3 on the same files.
#   bench/scale.sh [TRIANGLES | shapes:COUNT]...   default: 100000 10000000 shapes:5000
# For each size it writes a binary little-endian PLY heightfield of at least
# that many triangles (float x y z, uchar/int faces) and a scene rendering it
# at 128x128, 4 spp (box filter, path tracer to depth 4, constant sky plus a
# directional sun) into a temporary folder, then runs, one after the other:
#   /usr/bin/time -v diffray render SCENE --spp 4 --json      (wall, peak RSS, paths/s, BVH seconds)
#   /usr/bin/time -v mitsuba-ref render SCENE OUT.exr --spp 4  (wall, peak RSS; Python and import included)
# "load" is DiffRay's wall time minus its render time (file reading, the
# mesh, the BVH); "BVH" its acceleration-structure build, wall clock and CPU
# (one thread); "CPU" user plus system time of the whole process (steadier
# than wall time on a busy machine); "B/triangle" peak RSS divided by the
# triangle count.
# shapes:COUNT renders COUNT separate shapes (half spheres, half cubes) over a
# ground rectangle instead. Needs python3 with numpy; Mitsuba is skipped when mitsuba-ref is not found.
# Environment: DIFFRAY (binary), MITSUBA_REF, SPP (4), RES (128), KEEP=1 keeps the folder.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(100000 10000000 shapes:5000)
DIFFRAY=${DIFFRAY:-.build/release/diffray}
MITSUBA=${MITSUBA_REF:-$(cd .. && pwd)/shared/tools/mitsuba-ref}
[[ -x $MITSUBA ]] || MITSUBA=/work/shared/tools/mitsuba-ref
SPP=${SPP:-4}
RES=${RES:-128}
[[ -x /usr/bin/time ]] || { echo "bench/scale.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
python3 -c "import numpy" 2>/dev/null || { echo "bench/scale.sh: needs python3 with numpy" >&2; exit 2; }
if [[ ! -x $DIFFRAY ]]; then
  swift build -c release --product diffray >&2
fi
tmp=$(mktemp -d)
if [[ ${KEEP:-0} == 1 ]]; then echo "files kept in $tmp"; else trap 'rm -rf "$tmp"' EXIT; fi

# $1 triangles (at least), $2 folder: writes heightfield.ply and scene.xml, prints the exact triangle count.
make_scene() { python3 bench/heightfield.py "$1" "$2" "$RES" "$SPP"; }

# $1 shapes, $2 folder: a grid of spheres and cubes over a ground rectangle; prints its triangle count.
make_shapes() {
  python3 - "$1" "$2" "$RES" "$SPP" <<'PY'
import math, sys
count, folder, res, spp = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
side = math.ceil(math.sqrt(count))
shapes = []
for k in range(count):
    x, y = -1 + 2 * (k % side + 0.5) / side, -1 + 2 * (k // side + 0.5) / side
    r = 0.35 / side
    if k % 2:
        shapes.append(f'<shape type="sphere"><point name="center" x="{x:.5f}" y="{y:.5f}" z="{r:.5f}"/><float name="radius" value="{r:.5f}"/>'
                      f'<bsdf type="diffuse"><rgb name="reflectance" value="{0.2 + 0.6 * (k % 7) / 6:.3f}, 0.5, 0.4"/></bsdf></shape>')
    else:
        shapes.append(f'<shape type="cube"><transform name="to_world"><scale value="{r:.5f}"/><translate x="{x:.5f}" y="{y:.5f}" z="{r:.5f}"/></transform>'
                      f'<bsdf type="diffuse"><rgb name="reflectance" value="0.4, {0.2 + 0.6 * (k % 5) / 4:.3f}, 0.5"/></bsdf></shape>')
with open(f'{folder}/scene.xml', 'w') as f:
    f.write(f'''<scene version="3.0.0">
    <integrator type="path"><integer name="max_depth" value="4"/></integrator>
    <sensor type="perspective">
        <float name="fov" value="40"/>
        <transform name="to_world"><lookat origin="0, -2.2, 1.6" target="0, 0, 0" up="0, 0, 1"/></transform>
        <sampler type="independent"><integer name="sample_count" value="{spp}"/></sampler>
        <film type="hdrfilm"><integer name="width" value="{res}"/><integer name="height" value="{res}"/><rfilter type="box"/></film>
    </sensor>
    <shape type="rectangle"><transform name="to_world"><scale value="1.5"/></transform></shape>
    {chr(10).join(shapes)}
    <emitter type="constant"><rgb name="radiance" value="0.4"/></emitter>
    <emitter type="directional"><vector name="direction" value="-0.5, 0.6, -0.62"/><rgb name="irradiance" value="3"/></emitter>
</scene>
''')
print(2 + 12 * ((count + 1) // 2))
PY
}

# Field of `/usr/bin/time -v` output: $1 file, $2 label.
vfield() { sed -n "s/^[[:space:]]*$2: //p" "$1" | tail -n 1; }
# Elapsed "h:mm:ss" or "m:ss.ss" to seconds.
seconds() { awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }'; }
wall() { vfield "$1" 'Elapsed (wall clock) time (h:mm:ss or m:ss)' | seconds; }
# User plus system CPU seconds.
cpu() { echo "$(vfield "$1" 'User time (seconds)') $(vfield "$1" 'System time (seconds)')" | awk '{ printf "%.2f", $1 + $2 }'; }

printf '%-10s %-8s %7s %7s %7s %7s %8s %9s %10s %10s\n' triangles renderer "wall s" "CPU s" "load s" "BVH s" "BVH CPU" "peak MiB" "B/triangle" "M paths/s"
for want in "${sizes[@]}"; do
  dir="$tmp/$want"; mkdir -p "$dir"
  if [[ $want == shapes:* ]]; then
    tris=$(make_shapes "${want#shapes:}" "$dir")
    echo "${want#shapes:} shapes: $(( ${want#shapes:} / 2 )) spheres, the rest cubes (12 triangles each) and a ground rectangle; $tris triangles:"
  else
    tris=$(make_scene "$want" "$dir")
  fi
  /usr/bin/time -v "$DIFFRAY" render "$dir/scene.xml" --spp "$SPP" -o "$dir/diffray.png" --json \
    > "$dir/diffray.out" 2> "$dir/diffray.time" || { cat "$dir/diffray.time" >&2; exit 1; }
  python3 - "$tris" "$dir/diffray.out" "$(wall "$dir/diffray.time")" "$(cpu "$dir/diffray.time")" \
    "$(vfield "$dir/diffray.time" 'Maximum resident set size (kbytes)')" <<'PY'
import json, sys
tris, out, wall, cpu, rss = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
j = json.loads(open(out).read().strip().splitlines()[-1])
print('%-10d %-8s %7.2f %7.2f %7.2f %7.2f %8.2f %9.0f %10.0f %10.3f' % (tris, 'DiffRay', wall, cpu, wall - j['seconds'],
      j['accelerator_seconds'], j['accelerator_cpu_seconds'], rss / 1024, rss * 1024 / tris, j['paths_per_second'] / 1e6))
PY
  if [[ -x $MITSUBA ]]; then
    /usr/bin/time -v "$MITSUBA" render "$dir/scene.xml" "$dir/mitsuba.exr" --spp "$SPP" \
      > "$dir/mitsuba.out" 2> "$dir/mitsuba.time" || { tail -n 5 "$dir/mitsuba.time" >&2; exit 1; }
    rss=$(vfield "$dir/mitsuba.time" 'Maximum resident set size (kbytes)')
    awk -v t="$tris" -v w="$(wall "$dir/mitsuba.time")" -v c="$(cpu "$dir/mitsuba.time")" -v r="$rss" \
      'BEGIN { printf "%-10d %-8s %7.2f %7.2f %7s %7s %8s %9.0f %10.0f %10s\n", t, "Mitsuba", w, c, "-", "-", "-", r / 1024, r * 1024 / t, "-" }'
  fi
done
echo "($(nproc) cores; $SPP spp at ${RES}x${RES}; Mitsuba: mitsuba-ref render, Python and import included)"
