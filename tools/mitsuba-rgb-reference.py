"""Renders a scene with Mitsuba 3 and writes only its first three channels
(R, G, B) as an EXR: the reference of integrators whose film carries more
channels (`moment` adds the nested integrator's value and second moment).

    VENV_PYTHON tools/mitsuba-rgb-reference.py SCENE.xml OUT.exr SPP
(VENV_PYTHON: the Python of ../shared/tools/mitsuba-ref's environment; variant scalar_rgb.)
"""
import sys

import mitsuba as mi

mi.set_variant('scalar_rgb')
scene_path, out, spp = sys.argv[1], sys.argv[2], int(sys.argv[3])
image = mi.render(mi.load_file(scene_path), spp=spp)
mi.Bitmap(image[:, :, :3], mi.Bitmap.PixelFormat.RGB).write(out)
print(out)
