"""Mitsuba 3 references for the published motion-blur and rolling-shutter scenes
(run by tools/make-references.sh motion with the mitsuba-ref virtual environment;
the tests never run it).

Mitsuba 3.9.1 (the newest release) refuses <animation>. Its motion blur and rolling
shutter are integrals over time of what it renders at each instant, so the
references are built from static renders: for each pass, K instants are drawn
(one jittered in each of K equal strata of the shutter), the scene file is
rewritten at each instant (every <animation> replaced by its transform at that
time, computed as Mitsuba's AnimatedTransform does with Dr.Jit's own
transform_decompose, slerp and transform_compose), rendered by Mitsuba, and the
renders averaged. A pass is therefore an unbiased estimate of the motion-blurred
image, and the passes are independent, as the z-test needs.

A rolling shutter gives each camera sample its own instant: the sample at
continuous film position fraction s (s = y / height for rolling_shutter_type
"top", 1 - y / height for "bottom", x / width or 1 - x / width for "left" and
"right") is taken at open + (close - open) (s (1 - d) + u d), u uniform, d the
rolling_shutter_duration (the model DiffRay's `Shutter` implements). In the
published rolling-shutter scenes only the sensor moves, so their references
need no frozen scenes: every camera sample gets its own film position, instant
and camera pose (Mitsuba's AnimatedTransform interpolation, vectorised with
Dr.Jit's transform_decompose, slerp and transform_compose), and Mitsuba's own
integrator (`Integrator.sample`, the one a `moment` integrator wraps) traces
that ray through the static scene (llvm_ad_rgb). A pixel is the mean of its
samples (the scenes' box filter): an unbiased estimate of the continuous model,
with nothing discretised.

  python motion_references.py OUT_DIR SPP [NAME...]
"""
import copy
import os
import sys
import xml.etree.ElementTree as ET

import drjit as dr
import mitsuba as mi
import numpy as np

from mitsuba_passes import write_mean_variance
from published_references import PUB, small_sensor

# name | scene | width x height | -D overrides
CASES = [
    ('motion-simple', 'tests/scenes/motion_blur/test_simple_motion_path.xml', (16, 16), {}),
    ('motion-complex', 'tests/scenes/motion_blur/test_complex_motion_path.xml', (16, 16), {}),
    ('motion-emitters', 'tests/scenes/motion_blur/test_emitters_path.xml', (16, 16), {}),
    ('rolling-shutter', 'tests/scenes/rolling_shutter/test_rolling_shutter_path.xml', (16, 16), {}),
    # Its default integrator is the particle tracer; as the scene file advises for Mitsuba's own references, path traced.
    ('rolling-shutter-ptracer', 'tests/scenes/rolling_shutter/test_rolling_shutter_ptracer.xml', (16, 16),
     {'integrator': 'path'}),
]
INSTANTS = 64   # K: time strata per pass
# The rolling-shutter scenes' z-test takes DiffRay's variance from the reference's per-sample variance, as
# Mitsuba's own test does (PublishedSceneTests; their wall is lit through one bounce of a spot light, rare
# bright samples): that variance must be well estimated, so they are 256 passes (255 degrees of freedom).
PASSES_OF = {'rolling-shutter': 256, 'rolling-shutter-ptracer': 256}


def inline_includes(root, folder):
    """The scene with its <include>s replaced by the included files' elements."""
    for parent in list(root.iter()):
        for i, child in enumerate(list(parent)):
            if child.tag == 'include':
                inner = ET.parse(os.path.join(folder, child.get('filename'))).getroot()
                inner = inline_includes(inner, folder)
                parent.remove(child)
                for k, e in enumerate(list(inner)):
                    parent.insert(i + k, e)
    return root


def numbers(text):
    return [float(v) for v in text.replace(',', ' ').split()]


def triple(e, fill):
    if e.get('value') is not None:
        v = numbers(e.get('value'))
        return v * 3 if len(v) == 1 else v
    return [float(e.get(a, fill)) for a in 'xyz']


def key_matrix(transform):
    """The matrix of a <transform>: its operations composed by left multiplication in document order."""
    m = mi.ScalarTransform4f()
    for op in transform:
        if op.tag == 'translate':
            step = mi.ScalarTransform4f().translate(triple(op, 0))
        elif op.tag == 'scale':
            step = mi.ScalarTransform4f().scale(triple(op, 1))
        elif op.tag == 'rotate':
            step = mi.ScalarTransform4f().rotate(triple(op, 0), float(op.get('angle')))
        elif op.tag == 'lookat':
            step = mi.ScalarTransform4f().look_at(numbers(op.get('origin')), numbers(op.get('target')),
                                                  numbers(op.get('up')))
        elif op.tag == 'matrix':
            step = mi.ScalarTransform4f(np.array(numbers(op.get('value'))).reshape(4, 4).tolist())
        else:
            raise ValueError('unknown transform operation <%s>' % op.tag)
        m = step @ m
    return m.matrix


def keys_of(animation):
    keys = sorted((float(t.get('time')), key_matrix(t)) for t in animation)
    return [(t, dr.transform_decompose(m)) for t, m in keys]


def at_time(keys, time):
    """Mitsuba's AnimatedTransform::eval_scalar: lerp of scale and translation, slerp of the rotation."""
    times = [t for t, _ in keys]
    if len(keys) == 1:
        s, q, t = keys[0][1]
        return dr.transform_compose(s, q, t)
    i = max(0, min(len(times) - 2, int(np.searchsorted(times, time, side='right')) - 1))
    f = min(max((time - times[i]) / (times[i + 1] - times[i]), 0.0), 1.0)
    (s0, q0, t0), (s1, q1, t1) = keys[i][1], keys[i + 1][1]
    s = dr.scalar.Matrix3f(np.diag(np.diag(np.array(s0)) * (1 - f) + np.diag(np.array(s1)) * f).tolist())
    return dr.transform_compose(s, dr.slerp(q0, q1, f), dr.lerp(t0, t1, f))


class Animated:
    """A scene file whose <animation>s can be frozen at any time."""

    def __init__(self, path):
        self.folder = os.path.dirname(path)
        self.root = inline_includes(ET.parse(path).getroot(), self.folder)
        sensor = self.root.find('sensor')
        value = lambda name, default: float(next((f.get('value') for f in sensor.findall('float')
                                                  if f.get('name') == name), default))
        self.open, self.close = value('shutter_open', 0), value('shutter_close', 0)
        self.rolling = next((s.get('value') for s in sensor.findall('string') if s.get('name') == 'rolling_shutter_type'),
                            'none')
        self.duration = value('rolling_shutter_duration', 1)
        self.animations = [(parent, anim, keys_of(anim)) for parent in self.root.iter()
                           for anim in parent.findall('animation')]

    def xml(self, time):
        """The scene at `time`, every animation replaced by a fixed to_world, the rolling-shutter properties removed."""
        root = copy.deepcopy(self.root)
        for (parent, anim, keys), (p2, a2) in zip(self.animations, self.frozen_pairs(root)):
            m = np.array(at_time(keys, time))
            fixed = ET.Element('transform', name='to_world')
            ET.SubElement(fixed, 'matrix', value=' '.join('%.9g' % v for v in m.ravel()))
            index = list(p2).index(a2)
            p2.remove(a2)
            p2.insert(index, fixed)
        sensor = root.find('sensor')
        for e in list(sensor):
            if e.get('name') in ('rolling_shutter_type', 'rolling_shutter_duration'):
                sensor.remove(e)
        return ET.tostring(root, encoding='unicode')

    def frozen_pairs(self, root):
        return [(parent, anim) for parent in root.iter() for anim in parent.findall('animation')]


def load(animated, time, defines):
    cwd = os.getcwd()
    os.chdir(animated.folder)   # relative <path>s and file names, as when loading the file itself
    try:
        return mi.load_string(animated.xml(time), **defines)
    finally:
        os.chdir(cwd)


def render_pass(animated, defines, width, height, spp, seed, rng):
    span = animated.close - animated.open
    total = np.zeros((height, width, 3))
    for j in range(INSTANTS):
        tau = (j + rng.random()) / INSTANTS   # the instant as a fraction of the shutter
        scene = load(animated, animated.open + span * tau, defines)
        sensor = small_sensor(scene, width, height)
        total += np.array(mi.render(scene, sensor=sensor, spp=max(spp // INSTANTS, 1), seed=seed * INSTANTS + j))[:, :, :3]
    return total / INSTANTS


def integrator_of(animated, defines):
    """The scene's integrator: the one a `moment` integrator wraps (whose image is the moment film's RGB)."""
    element = animated.root.find('integrator')
    while element.get('type') == 'moment':
        element = element.find('integrator')
    defaults = ''.join(ET.tostring(e, encoding='unicode') for e in animated.root.findall('default'))
    text = '<scene version="3.0.0">%s%s</scene>' % (defaults, ET.tostring(element, encoding='unicode'))
    return mi.load_string(text, **{k: v for k, v in defines.items() if '$' + k in text}).integrator()


def sensor_pose(keys, time):
    """The camera-to-world matrices at the per-sample `time`s: AnimatedTransform's interpolation, vectorised."""
    times = [t for t, _ in keys]
    matrix = None
    for i in range(max(len(keys) - 1, 1)):
        (t0, (s0, q0, v0)), (t1, (s1, q1, v1)) = keys[i], keys[min(i + 1, len(keys) - 1)]
        f = dr.clip((time - t0) / (t1 - t0), 0, 1) if t1 > t0 else mi.Float(0)
        diag = dr.lerp(mi.Vector3f(s0[0][0], s0[1][1], s0[2][2]), mi.Vector3f(s1[0][0], s1[1][1], s1[2][2]), f)
        m = dr.transform_compose(mi.Matrix3f(diag.x, 0, 0, 0, diag.y, 0, 0, 0, diag.z),
                                 dr.slerp(mi.Quaternion4f(q0), mi.Quaternion4f(q1), f),
                                 dr.lerp(mi.Vector3f(v0), mi.Vector3f(v1), f))
        # as eval: the key interval holding the time (clamped to the first and last)
        matrix = m if matrix is None else dr.select(time >= times[i], m, matrix)
    return matrix


def rolling_pass(animated, defines, width, height, spp, seed):
    """One pass of a rolling-shutter scene whose only animation is the sensor's (module docstring)."""
    if len(animated.animations) != 1 or animated.animations[0][0].tag != 'sensor':
        raise ValueError('rolling-shutter references need the sensor to be the only animated object')
    keys = animated.animations[0][2]
    scene = load(animated, animated.open, defines)
    integrator = integrator_of(animated, defines)
    sensor = small_sensor(scene, width, height, to_world=mi.ScalarTransform4f())   # rays in camera space
    if not str(sensor.film().rfilter()).lower().startswith('box'):
        raise ValueError('rolling-shutter references assume the box filter (a pixel is the mean of its samples)')
    image = np.zeros((height * width, 3))
    rows_per_batch = max(1, (1 << 20) // (width * spp))
    for first in range(0, height, rows_per_batch):
        rows = min(rows_per_batch, height - first)
        n = rows * width * spp
        sampler = mi.load_dict({'type': 'independent'})
        sampler.seed(seed * height + first, n)
        pixel = dr.arange(mi.UInt32, n) // spp
        film = mi.Point2f(mi.Float(pixel % width), mi.Float(pixel // width + first)) + sampler.next_2d()
        s = {'top': film.y / height, 'bottom': 1 - film.y / height,
             'left': film.x / width, 'right': 1 - film.x / width}[animated.rolling]
        d = animated.duration
        time = animated.open + (animated.close - animated.open) * (s * (1 - d) + sampler.next_1d() * d)
        local, weight = sensor.sample_ray(time, 0, film / mi.ScalarVector2f(width, height), mi.Point2f(0.5))
        pose = mi.Transform4f(sensor_pose(keys, time))
        ray = mi.RayDifferential3f(mi.Ray3f(pose @ mi.Point3f(local.o), pose @ mi.Vector3f(local.d), local.maxt, time,
                                            local.wavelengths))
        radiance, _, _ = integrator.sample(scene, sampler, ray, None, True)
        rgb = np.array(radiance * weight).reshape(3, n).T
        image[first * width:(first + rows) * width] = rgb.reshape(rows * width, spp, 3).mean(axis=1)
    return image.reshape(height, width, 3)


def main():
    out, spp = sys.argv[1], int(sys.argv[2])
    default_passes = int(os.environ.get('PASSES', '16'))
    only = sys.argv[3:]
    mi.set_variant(os.environ.get('MITSUBA_VARIANT', 'scalar_rgb'))
    for name, path, (w, h), defines in CASES:
        if only and name not in only:
            continue
        animated = Animated(os.path.join(PUB, path))
        passes = PASSES_OF.get(name, default_passes)
        defines = {'spp': str(spp // passes), **defines}
        rng = np.random.default_rng(12345)
        if animated.rolling != 'none':
            mi.set_variant('llvm_ad_rgb')
            images = np.stack([rolling_pass(animated, defines, w, h, spp // passes, k) for k in range(passes)])
        else:
            mi.set_variant(os.environ.get('MITSUBA_VARIANT', 'scalar_rgb'))
            images = np.stack([render_pass(animated, defines, w, h, spp // passes, k, rng) for k in range(passes)])
        target = os.path.join(out, 'published-%s.exr' % name)
        write_mean_variance(images, target)
        print(name, target, flush=True)


if __name__ == '__main__':
    main()
