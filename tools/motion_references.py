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

A rolling shutter gives each film row its own window of the shutter: the row at
fraction s of the film (s = 0 at the top for rolling_shutter_type "top") sees
times open + (close - open) (s (1 - d) + u d), u uniform, d the
rolling_shutter_duration. Each static render at instant t then counts for the
rows whose window holds t, weighted 1 / d (an unbiased estimate of the row's
average over its window). The window moves within a pixel, so the film is
rendered SUB times finer in each direction (the sub-rows' windows) and averaged
down with the box filter the scene uses.

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
SUB = 4         # film subdivision for rolling shutters


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
    sub = SUB if animated.rolling != 'none' else 1
    total = np.zeros((height * sub, width * sub, 3))
    for j in range(INSTANTS):
        tau = (j + rng.random()) / INSTANTS   # the instant as a fraction of the shutter
        scene = load(animated, animated.open + span * tau, defines)
        sensor = small_sensor(scene, width * sub, height * sub)
        image = np.array(mi.render(scene, sensor=sensor, spp=max(spp // INSTANTS // (sub * sub), 1), seed=seed * INSTANTS + j))[:, :, :3]
        if sub > 1:
            d = animated.duration
            rows, cols = image.shape[0], image.shape[1]
            if animated.rolling in ('top', 'bottom'):
                s = (np.arange(rows) + 0.5) / rows
                s = s if animated.rolling == 'top' else 1 - s
                inside = (s * (1 - d) <= tau) & (tau < s * (1 - d) + d)
                image = image * (inside / d)[:, None, None]
            else:
                s = (np.arange(cols) + 0.5) / cols
                s = s if animated.rolling == 'left' else 1 - s
                inside = (s * (1 - d) <= tau) & (tau < s * (1 - d) + d)
                image = image * (inside / d)[None, :, None]
        total += image
    total /= INSTANTS
    return total.reshape(height, sub, width, sub, 3).mean(axis=(1, 3))


def main():
    out, spp = sys.argv[1], int(sys.argv[2])
    passes = int(os.environ.get('PASSES', '16'))
    only = sys.argv[3:]
    mi.set_variant(os.environ.get('MITSUBA_VARIANT', 'scalar_rgb'))
    for name, path, (w, h), defines in CASES:
        if only and name not in only:
            continue
        animated = Animated(os.path.join(PUB, path))
        defines = {'spp': str(spp // passes), **defines}
        rng = np.random.default_rng(12345)
        images = np.stack([render_pass(animated, defines, w, h, spp // passes, k, rng) for k in range(passes)])
        target = os.path.join(out, 'published-%s.exr' % name)
        write_mean_variance(images, target)
        print(name, target, flush=True)


if __name__ == '__main__':
    main()
