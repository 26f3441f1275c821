"""Mitsuba 3 references with their variance, for the z-test of the render tests
(Tests/TestSupport/ZTest.swift; run with the mitsuba-ref virtual environment, the
tests never run it).

A reference is PASSES (16) independent renders of SPP / PASSES samples per pixel
with seeds 0, 1, ...: OUT.exr holds their mean and OUT-var.exr (OUT with -var
before .exr) the variance of that mean per pixel and channel, the passes' sample
variance over PASSES. Only R, G, B are kept (a `moment` integrator's film carries
more channels).

  python mitsuba_passes.py SCENE.xml OUT.exr SPP [name=value ...]   (-D values)
"""
import os
import sys

import mitsuba as mi
import numpy as np


def render_passes(scene, spp, passes, sensor=None):
    """The passes' RGB images, shape (passes, height, width, 3)."""
    sensor = sensor if sensor is not None else scene.sensors()[0]
    return np.stack([np.array(mi.render(scene, sensor=sensor, spp=max(spp // passes, 1), seed=k))[:, :, :3]
                     for k in range(passes)])


def write_mean_variance(images, out):
    """Writes the passes' mean to `out` and the variance of that mean next to it."""
    passes = images.shape[0]
    mi.Bitmap(images.mean(axis=0).astype(np.float32), mi.Bitmap.PixelFormat.RGB).write(out)
    variance = images.var(axis=0, ddof=1) / passes
    mi.Bitmap(variance.astype(np.float32), mi.Bitmap.PixelFormat.RGB).write(out[:-len('.exr')] + '-var.exr')


def main():
    mi.set_variant(os.environ.get('MITSUBA_VARIANT', 'llvm_ad_rgb'))
    scene_path, out, spp = sys.argv[1], sys.argv[2], int(sys.argv[3])
    defines = dict(a.split('=', 1) for a in sys.argv[4:])
    scene = mi.load_file(scene_path, **defines)
    write_mean_variance(render_passes(scene, spp, int(os.environ.get('PASSES', '16'))), out)
    print(out)


if __name__ == '__main__':
    main()
