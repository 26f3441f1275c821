#!/usr/bin/env python3
"""Prints what Mitsuba 3 computes for one cylinder: its radius, length and area,
a ray's hit (t, p, n, uv) and sample_position((0.3, 0.7)). The values are copied
into Tests/RenderTests/ShapePluginTests.swift (cylinderMatchesMitsuba), whose
scene is this cylinder in XML. Run with the Mitsuba reference environment:

    DRJIT_LIBLLVM_PATH=$(find ~/.cache/diffray-anchors/venv -name 'libLLVM.so*' | head -1) \
        ~/.cache/diffray-anchors/venv/bin/python tools/mitsuba-cylinder-probe.py
"""
import mitsuba as mi

mi.set_variant('scalar_rgb')
T = mi.ScalarTransform4f
shape = mi.load_dict({'type': 'cylinder', 'p0': [0.2, 0.1, 0.0], 'p1': [0.5, 1.2, 0.3], 'radius': 0.4,
                      'to_world': T().rotate([1, 0, 0], 30).scale(1.5)})
print(shape)
ps = shape.sample_position(0.0, [0.3, 0.7])
print('sample_position((0.3, 0.7)): p', ps.p, 'n', ps.n, 'pdf', ps.pdf)
si = shape.ray_intersect(mi.Ray3f([0.3, 0.8, 5.0], [0, 0, -1]))
print('hit: t', si.t, 'p', si.p, 'n', si.n, 'uv', si.uv)
