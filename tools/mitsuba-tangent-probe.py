#!/usr/bin/env python3
"""Prints Mitsuba 3's shading frame (sh_frame.n, sh_frame.s) where rays straight down
hit the coarse UV sphere of the published scene mesh_tangents/test_tangent_pole_path.xml,
whose anisotropic roughconductor is defined in that frame. The values are copied into
Tests/RenderTests/PublishedFeatureTests.swift (anisotropicFrameMatchesMitsuba). Run with
the Mitsuba reference environment:

    DRJIT_LIBLLVM_PATH=$(find ~/.cache/diffray-anchors/venv -name 'libLLVM.so*' | head -1) \
        ~/.cache/diffray-anchors/venv/bin/python tools/mitsuba-tangent-probe.py
"""
import os

import mitsuba as mi

mi.set_variant('scalar_rgb')
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
scene = mi.load_file(os.path.join(ROOT, 'scenes/published/mitsuba-data/tests/scenes/mesh_tangents/'
                                        'test_tangent_pole_path.xml'))
for x, y in [(0.05, 0.03), (0.2, 0.1), (-0.3, 0.4), (0.0, -0.5), (0.6, 0.2)]:
    si = scene.ray_intersect(mi.Ray3f(mi.Point3f(x, y, 4), mi.Vector3f(0, 0, -1)))
    print((x, y), 'n', si.sh_frame.n, 's', si.sh_frame.s)
