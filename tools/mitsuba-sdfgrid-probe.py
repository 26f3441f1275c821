#!/usr/bin/env python3
"""Prints what Mitsuba 3 computes for rays meeting the sdfgrid of the plugin scene
shape-sdfgrid (Tests/Fixtures/plugin-scenes/capsule.vol under a scaling to_world):
per ray its hit distance t, geometric normal n and shading normal (smooth and analytic).
The values are copied into Tests/RenderTests/SDFGridTests.swift (sdfGridMatchesMitsuba).
Run with the Mitsuba reference environment:

    DRJIT_LIBLLVM_PATH=$(find ~/.cache/diffray-anchors/venv -name 'libLLVM.so*' | head -1) \\
        ~/.cache/diffray-anchors/venv/bin/python tools/mitsuba-sdfgrid-probe.py
"""
import os
import mitsuba as mi

mi.set_variant('llvm_ad_rgb')
VOL = os.path.join(os.path.dirname(os.path.abspath(__file__)), '../Tests/Fixtures/plugin-scenes/capsule.vol')
T = mi.ScalarTransform4f
# Origins and points aimed at (inside the surface), world space.
AIMS = [((0.3, 0.35, 3.0), (0.3, 0.3, 0.0)), ((0.5, 0.5, 3.0), (0.45, 0.5, -0.05)), ((-2.0, 0.31, 0.2), (0.4, 0.3, 0.0)),
        ((0.62, 2.0, 0.1), (0.6, 0.33, 0.0)), ((0.415, 0.48, 3.0), (0.415, 0.42, 0.0)), ((0.7, 0.2, -2.0), (0.65, 0.35, 0.0)),
        ((2.0, 1.5, 1.0), (0.455, 0.5, -0.05)), ((0.2, -1.0, -0.3), (0.35, 0.3, 0.0))]
RAYS = [(o, list(mi.ScalarVector3f(*[a - b for a, b in zip(t, o)]) / sum((a - b) ** 2 for a, b in zip(t, o)) ** 0.5)) for o, t in AIMS]
for normals in ['smooth', 'analytic']:
    scene = mi.load_dict({'type': 'scene', 'grid': {'type': 'sdfgrid', 'filename': VOL, 'normals': normals,
                                                    'to_world': T().translate([0.05, 0.0, -0.5]).scale([0.9, 0.8, 1.0])}})
    for o, d in RAYS:
        si = scene.ray_intersect(mi.Ray3f(o, d))
        print(normals, 'o', o, 'd', d, 't', si.t, 'n', si.n, 'sh', si.sh_frame.n)
