#!/usr/bin/env python3
"""A large-mesh test scene: a binary little-endian PLY heightfield of at least
TRIANGLES triangles (float x y z, uchar/int faces) and scene.xml rendering it at
RES x RES, SPP spp (box filter, path tracer to depth 4, constant sky plus a
directional sun). Prints the exact triangle count. Needs numpy.
    bench/heightfield.py TRIANGLES FOLDER [RES] [SPP]      (defaults 128 4)"""
import math, sys
import numpy as np
if len(sys.argv) < 3:
    sys.exit(__doc__)
want, folder = int(sys.argv[1]), sys.argv[2]
res = int(sys.argv[3]) if len(sys.argv) > 3 else 128
spp = int(sys.argv[4]) if len(sys.argv) > 4 else 4
n = max(1, math.ceil(math.sqrt(want / 2)))          # n x n quads, 2 n^2 triangles
t = np.linspace(-1.0, 1.0, n + 1)
x, y = np.meshgrid(t, t)
z = 0.12 * np.sin(7 * x) * np.cos(5 * y) + 0.03 * np.sin(41 * x + 3 * y) * np.cos(37 * y)
verts = np.stack([x, y, z], axis=-1).reshape(-1, 3).astype('<f4')
i, j = np.meshgrid(np.arange(n), np.arange(n))
k = (j * (n + 1) + i).ravel()
faces = np.empty(2 * n * n, dtype=[('n', 'u1'), ('v', '<i4', 3)])
faces['n'] = 3
faces['v'][0::2] = np.stack([k, k + 1, k + n + 2], axis=-1)
faces['v'][1::2] = np.stack([k, k + n + 2, k + n + 1], axis=-1)
with open(f'{folder}/heightfield.ply', 'wb') as f:
    f.write((f'ply\nformat binary_little_endian 1.0\nelement vertex {len(verts)}\n'
             'property float x\nproperty float y\nproperty float z\n'
             f'element face {len(faces)}\nproperty list uchar int vertex_indices\nend_header\n').encode())
    verts.tofile(f)
    faces.tofile(f)
with open(f'{folder}/scene.xml', 'w') as f:
    f.write(f'''<scene version="3.0.0">
    <integrator type="path"><integer name="max_depth" value="4"/></integrator>
    <sensor type="perspective">
        <float name="fov" value="40"/>
        <transform name="to_world"><lookat origin="0, -2.2, 1.6" target="0, 0, 0" up="0, 0, 1"/></transform>
        <sampler type="independent"><integer name="sample_count" value="{spp}"/></sampler>
        <film type="hdrfilm">
            <integer name="width" value="{res}"/><integer name="height" value="{res}"/>
            <rfilter type="box"/>
        </film>
    </sensor>
    <shape type="ply">
        <string name="filename" value="heightfield.ply"/>
        <bsdf type="diffuse"><rgb name="reflectance" value="0.6, 0.5, 0.4"/></bsdf>
    </shape>
    <emitter type="constant"><rgb name="radiance" value="0.4"/></emitter>
    <emitter type="directional">
        <vector name="direction" value="-0.5, 0.6, -0.62"/>
        <rgb name="irradiance" value="3"/>
    </emitter>
</scene>
''')
print(len(faces))
