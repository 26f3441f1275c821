#!/usr/bin/env bash
# The visibility test family as one table: for each case of scenes/visibility/
# (one discontinuity each: camera silhouettes, shadows under each light type,
# silhouettes in a mirror and through glass, shadows of analytic shapes and of a
# large mesh, a shadow seen after a bounce), d mean(image) / d KEY for the
# component of KEY with the largest mean gradient:
#   - the gradient `grad SCENE --param KEY --spp SPP --seed s` (reverse mode,
#     `grad`'s own edge samples) over seeds s = 1 ... SEEDS: mean ± standard
#     deviation over seeds;
#   - forward mode once (seed 1) against reverse mode of the same seed:
#     max over KEY's components of |forward − reverse| / max |reverse|;
#   - central differences of DiffRay's own renders: the loss at KEY ± h (the loss
#     `grad --no-boundary --init KEY=... --json` reports, FD_SPP spp, the same seed
#     on both sides) over the same seeds, at steps h and h/2: mean ± standard error;
#   - |gradient − central differences| over the combined standard error (the
#     gradient's sd / √SEEDS and that of the mean of both steps' quotients, seed
#     by seed);
#   - the cost: the median over seeds 1–3 of the gradient's wall clock (the `seconds`
#     its JSON reports: the work, loading left out) over that of a primal render at
#     SPP (`render --spp SPP --seed s`, run just before it);
#   - Mitsuba 3's `prb_projective` (`mitsuba-ref grad --integrator prb_projective
#     --param ID.vertex_positions --spp SPP×SEEDS`, the vertex gradients summed per
#     axis) where the moving shape is a mesh in Mitsuba (cube, ply); skipped, with
#     a note, when the tool is absent ($MITSUBA_REF, default ../shared/tools/mitsuba-ref).
# Prints one markdown table, then the command.
#   bench/visibility-family.sh [SPP] [SEEDS] [RES]
#   (defaults 64 8 32: RES×RES pixels, the scenes' `res`; in the environment:
#   FD_SPP, the central differences' spp (default 4 × SPP); CASES, a regular
#   expression picking cases by name; GRAD_FLAGS, flags added to every gradient,
#   e.g. GRAD_FLAGS="--edge-samples 16,64"; RUNS_DIR, a folder that keeps every run's output)
set -euo pipefail
spp=${1:-64}; seeds=${2:-8}; res=${3:-32}
for n in "$spp" "$seeds" "$res" "${FD_SPP:-1}"; do
  [[ $n =~ ^[1-9][0-9]{0,6}$ ]] || { echo "visibility-family.sh: SPP, SEEDS, RES and FD_SPP must be positive integers, got '$n'" >&2; exit 2; }
done
fdspp=${FD_SPP:-$((4 * spp))}
(( seeds >= 2 )) || { echo "visibility-family.sh: SEEDS must be at least 2 (a standard deviation over seeds), got $seeds" >&2; exit 2; }
(( res <= 1024 )) || { echo "visibility-family.sh: RES must be at most 1024, got $res" >&2; exit 2; }
command="${FD_SPP:+FD_SPP=$FD_SPP }bench/visibility-family.sh $spp $seeds $res"
source "$(dirname "$0")/common.sh"
read -r -a gradflags <<< "${GRAD_FLAGS:-}"

# The cases: name | scene in scenes/visibility/ | key | step h | Mitsuba's shape id (- : not a mesh there).
cases=$(cat <<'EOF'
camera silhouette, quad moves|silhouette-quad|quad.translate|0.1|-
camera silhouette, camera moves|silhouette-quad|sensor.translate|0.1|-
camera silhouette, sphere|silhouette-sphere|ball.center|0.1|-
camera silhouette, cube (a mesh)|silhouette-cube|cube.translate|0.1|cube
shadow, area light|shadow-area-light|quad.translate|0.05|-
shadow, point light|shadow-point-light|quad.translate|0.05|-
shadow, point light moves|shadow-point-light|lamp.position|0.05|-
shadow, spot light|shadow-spot-light|quad.translate|0.05|-
shadow, directional light|shadow-directional-light|quad.translate|0.05|-
shadow, turned area light|shadow-turned-area-light|quad.translate|0.05|-
shadow on a glossy floor|shadow-glossy-floor|quad.translate|0.05|-
shadow close to its receiver|shadow-close-to-receiver|quad.translate|0.05|quad
shadow seen after a bounce|shadow-after-a-bounce|box.translate|0.05|box
silhouette in a mirror, quad|mirror-quad|quad.translate|0.1|-
silhouette in a mirror, sphere|mirror-sphere|ball.center|0.1|-
silhouette through a glass slab|glass-slab|quad.translate|0.1|-
silhouette through a thin pane|thin-pane|quad.translate|0.1|-
silhouette in a mirror ball, quad|mirror-ball-quad|quad.translate|0.1|-
silhouette in a mirror ball, ball moves|mirror-ball-quad|mirror.center|0.1|-
silhouette in a mirror ball, ball grows|mirror-ball-quad|mirror.radius|0.05|-
silhouette through a glass ball|glass-ball-quad|quad.translate|0.1|-
sphere's shadow, area light|shadow-sphere-area-light|occluder.center|0.05|-
disk's shadow, area light|shadow-disk-area-light|occluder.translate|0.05|-
cylinder's shadow, area light|shadow-cylinder-area-light|occluder.translate|0.05|-
sphere's shadow, directional light|shadow-sphere-directional-light|occluder.center|0.05|-
disk's shadow, directional light|shadow-disk-directional-light|occluder.translate|0.05|-
cylinder's shadow, point light|shadow-cylinder-point-light|occluder.translate|0.05|-
disk's shadow, point light|shadow-disk-point-light|occluder.translate|0.05|-
black cylinder's shadow, directional light|shadow-black-cylinder-directional-light|occluder.translate|0.1|-
black disk's shadow, point light|shadow-black-disk-point-light|occluder.translate|0.05|-
black disk's shadow, area light|shadow-black-disk-area-light|occluder.translate|0.05|-
black cylinder's shadow, area light|shadow-black-cylinder-area-light|occluder.translate|0.05|-
mesh's shadow (7,680 edges), area light|shadow-mesh-area-light|blob.translate|0.04|blob
mesh's shadow (7,680 edges), environment|shadow-mesh-environment|blob.translate|0.04|blob
EOF
)
if [[ -n ${CASES:-} ]]; then
  cases=$(grep -E -- "^[^|]*(${CASES})" <<< "$cases" || true)
  [[ -n $cases ]] || { echo "visibility-family.sh: no case matches CASES='$CASES'" >&2; exit 2; }
fi

if [[ -n ${RUNS_DIR:-} ]]; then
  tmp=$(from_caller "$RUNS_DIR")
  mkdir -p "$tmp"
else
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
fi
load_before=$(cut -d' ' -f1 /proc/loadavg)
# The last line (JSON) of a diffray command; on failure its last error line, and exit 2.
json() {
  if ! "$DIFFRAY" "$@" -D "res=$res" --json 2>"$tmp/err" | tail -n 1 > "$tmp/out"; then
    echo "visibility-family.sh: $*: $(tail -n 1 "$tmp/err")" >&2
    exit 2
  fi
  cat "$tmp/out"
}
rounds=$(( seeds < 3 ? seeds : 3 ))  # seeds whose gradient is timed against a primal render run just before it
i=0
while IFS='|' read -r -u 3 name file key h mitsuba_id; do
  i=$((i + 1))
  scene=scenes/visibility/$file.xml
  dir=$tmp/case-$i
  rm -rf "$dir"
  mkdir -p "$dir"
  for s in $(seq "$seeds"); do
    (( s > rounds )) || json render "$scene" --spp "$spp" --seed "$s" -o "$tmp/primal.png" > "$dir/render-$s.json"
    json grad "$scene" --param "$key" --spp "$spp" --seed "$s" "${gradflags[@]}" > "$dir/grad-$s.json"
  done
  json grad "$scene" --param "$key" --spp "$spp" --seed 1 --mode forward "${gradflags[@]}" > "$dir/forward.json"
  # The component the case is about: the largest in magnitude of the mean gradient.
  c=$(cat "$dir"/grad-*.json | python3 -c "
import json, sys
g = [json.loads(l)['gradients']['$key'] for l in sys.stdin]
m = [abs(sum(x)) for x in zip(*g)]
print(m.index(max(m)))")
  # Central differences: component c of KEY at ±h and ±h/2, seed by seed.
  base=$(json params "$scene" | python3 -c "import json, sys; print(','.join(repr(v) for v in json.load(sys.stdin)['params']['$key']))")
  for step in "$h" "$(python3 -c "print($h / 2)")"; do
    for s in $(seq "$seeds"); do
      for sign in 1 -1; do
        value=$(python3 -c "v = [$base]; v[$c] += $sign * $step; print(','.join(repr(x) for x in v))")
        json grad "$scene" --param "$key" --init "$key=$value" --spp "$fdspp" --seed "$s" --no-boundary | json_field loss
      done | paste -sd ' ' | awk -v s="$step" '{ printf "%.12g\n", ($1 - $2) / (2 * s) }' >> "$dir/fd-$step.txt"
    done
  done
  mitsuba=""
  if [[ $mitsuba_id != - && -n $MITSUBA ]]; then
    mitsuba=$("$MITSUBA" grad "$scene" -D "res=$res" --integrator prb_projective --param "$mitsuba_id.vertex_positions" \
                --spp $((spp * seeds)) --seed 1 2>/dev/null | tail -n 1 \
              | python3 -c "import json, sys; l = sys.stdin.read(); print(sum(json.loads(l[l.index('{'):])['gradient_of_mean'][$c::3]))") \
      || mitsuba=error  # its JSON line may begin with a terminal colour code
  elif [[ $mitsuba_id != - ]]; then
    mitsuba=absent
  fi
  printf '%s\n' "$name" "$key" "$c" "$h" "$mitsuba" > "$dir/case.txt"
done 3<<< "$cases"

python3 - "$tmp" "$i" "$spp" "$seeds" "$res" "$fdspp" "$load_before" "$(cut -d' ' -f1 /proc/loadavg)" "$command" "$(nproc)" "$SECONDS" <<'PY'
import json, math, statistics, sys
tmp, count, spp, seeds, res, fdspp, load0, load1, command, cores, elapsed = sys.argv[1:]
count, seeds = int(count), int(seeds)
read = lambda path: json.loads(open(path).read().strip().splitlines()[-1])
print(f"d mean(image) / d KEY, {res}×{res} pixels, {spp} spp, seeds 1–{seeds}; central differences at {fdspp} spp, "
      f"the same seeds; {cores} cores, load average {load0} before, {load1} after")
print()
print("| case | key | gradient, mean ± sd over seeds | forward − reverse | central differences, h | at h/2 | "
      "\\|grad − FD\\| / combined se | cost (gradient / render) | Mitsuba 3 `prb_projective` |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
notes = set()
for i in range(1, count + 1):
    d = f"{tmp}/case-{i}"
    name, key, c, h, mitsuba = open(f"{d}/case.txt").read().split("\n")[:5]
    c, h = int(c), float(h)
    runs = [read(f"{d}/grad-{s}.json") for s in range(1, seeds + 1)]
    g = [r["gradients"][key][c] for r in runs]
    mean, sd = statistics.fmean(g), statistics.stdev(g)
    forward, reverse = read(f"{d}/forward.json")["gradients"][key], runs[0]["gradients"][key]
    agreement = max(abs(f - r) for f, r in zip(forward, reverse)) / max(max(map(abs, reverse)), 1e-300)
    fd = [[float(x) for x in open(f"{d}/fd-{step}.txt")] for step in (repr(h), repr(h / 2))]
    se = lambda v: statistics.stdev(v) / math.sqrt(len(v))
    both = [(a + b) / 2 for a, b in zip(*fd)]
    combined = math.sqrt((sd / math.sqrt(seeds)) ** 2 + se(both) ** 2)
    z = abs(mean - statistics.fmean(both)) / combined if combined > 0 else float("inf")
    rounds = min(seeds, 3)
    cost = statistics.median(r["seconds"] for r in runs[:rounds]) / statistics.median(
        read(f"{d}/render-{s}.json")["seconds"] for s in range(1, rounds + 1))
    if mitsuba in ("", "absent", "error"):
        m = {"": "", "absent": "skipped¹", "error": "failed²"}[mitsuba]
        if m: notes.add(mitsuba)
    else:
        m = f"{float(mitsuba):.5f}"
    flag = " ⚠" if z > 3 else ""
    print(f"| {name} | `{key}` {'xyz'[c]} | {mean:.5f} ± {sd:.5f} | {agreement:.0e} | "
          f"{statistics.fmean(fd[0]):.5f} ± {se(fd[0]):.5f} ({h:g}) | {statistics.fmean(fd[1]):.5f} ± {se(fd[1]):.5f} | "
          f"{z:.1f}{flag} | {cost:.2f} | {m} |")
print()
if "absent" in notes:
    print("¹ no mitsuba-ref: set MITSUBA_REF or put it at ../shared/tools/mitsuba-ref")
if "error" in notes:
    print("² mitsuba-ref grad failed on this scene")
print(f"Command: {command} ({int(elapsed) / 60:.0f} min)")
PY
