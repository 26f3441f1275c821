#!/usr/bin/env python3
"""Writes the one-plugin scenes of the Mitsuba 3 reference tests for the
plugins of docs/plugins.md into Tests/Fixtures/plugin-scenes/ (committed;
rerun after editing this file, then tools/make-references.sh). Every scene is
24x24 unless it says otherwise; paths are relative to the scene file, as
Mitsuba resolves them. Also writes the small test texture tiles.png there.

Usage: python3 tools/make-plugin-scenes.py   (from anywhere)
"""
import math
import os
import struct
import zlib

from reference_scene import PATH, SKY_LIGHT, scene_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
OUT = os.path.join(ROOT, 'Tests/Fixtures/plugin-scenes')


def scene(body, integrator=PATH, sensor_type='perspective', sensor_extra='<float name="fov" value="40"/>',
          width=24, height=24, origin='0, 1.3, 4.2', target='0, 0.45, 0', floor=True, spp=16,
          rfilter='<rfilter type="gaussian"/>'):
    return scene_file('make-plugin-scenes.py', body, integrator, f'type="{sensor_type}" id="sensor"', sensor_extra,
                      width, height, origin, target, floor, spp, rfilter)


AREA_LIGHT = '''    <shape type="rectangle" id="light">
        <transform name="to_world"><scale value="0.5"/><rotate x="1" angle="90"/><translate value="0.3, 2.2, 0.4"/></transform>
        <emitter type="area"><rgb name="radiance" value="12, 11, 9"/></emitter>
    </shape>'''


def sphere(bsdf, center='0, 0.6, 0', radius=0.6, id_=None):
    ident = f' id="{id_}"' if id_ else ''
    return f'''    <shape type="sphere"{ident}>
        <point name="center" value="{center}"/>
        <float name="radius" value="{radius}"/>
        {bsdf}
    </shape>'''


def bsdf_scene(bsdf):
    return scene(sphere(bsdf, id_='object') + '\n' + SKY_LIGHT)


GREY = '<bsdf type="diffuse"><rgb name="reflectance" value="0.7, 0.7, 0.7"/></bsdf>'
# A 0/1 cut-out (a bitmap: Mitsuba's checkerboard returns its two colours swapped when read as one number).
MASK01 = '''<texture type="bitmap" name="opacity">
                <string name="filename" value="mask.png"/>
                <string name="filter_type" value="nearest"/>
            </texture>'''

SCENES = {
    'bsdf-roughplastic': bsdf_scene(
        '<bsdf type="roughplastic" id="mat"><rgb name="diffuse_reflectance" value="0.1, 0.3, 0.7"/></bsdf>'),
    'bsdf-roughplastic-ggx': bsdf_scene(
        '<bsdf type="roughplastic" id="mat"><string name="distribution" value="ggx"/><float name="alpha" value="0.3"/>'
        '<float name="int_ior" value="1.6"/><boolean name="nonlinear" value="true"/>'
        '<rgb name="diffuse_reflectance" value="0.8, 0.4, 0.1"/></bsdf>'),
    # A null sphere in front of a grey one, between it and the light: invisible to camera paths.
    'bsdf-null': scene(sphere(GREY, center='0.3, 0.5, -0.3', radius=0.5) + '\n'
                       + sphere('<bsdf type="null"/>', center='-0.2, 0.6, 0.6', radius=0.45) + '\n' + AREA_LIGHT
                       + '\n    <emitter type="constant"><rgb name="radiance" value="0.2, 0.2, 0.25"/></emitter>'),
    # A cut-out (opacities 0 and 1) in front of a sphere.
    'bsdf-mask': scene(sphere(GREY, center='0, 0.5, -0.6', radius=0.5) + f'''
    <shape type="rectangle">
        <transform name="to_world"><scale value="0.6"/><rotate y="1" angle="15"/><translate value="0, 0.7, 0.5"/></transform>
        <bsdf type="mask">
            {MASK01}
            <bsdf type="diffuse"><rgb name="reflectance" value="0.8, 0.25, 0.2"/></bsdf>
        </bsdf>
    </shape>
''' + SKY_LIGHT),
    'bsdf-blendbsdf': bsdf_scene('''<bsdf type="blendbsdf" id="mat">
            <float name="weight" value="0.35"/>
            <bsdf type="diffuse"><rgb name="reflectance" value="0.2, 0.6, 0.3"/></bsdf>
            <bsdf type="roughconductor"><string name="material" value="Au"/><float name="alpha" value="0.2"/></bsdf>
        </bsdf>'''),
    'texture-rawconstant': bsdf_scene('''<bsdf type="diffuse">
            <texture type="rawconstant" name="reflectance"><vector name="value" value="0.25, 0.6, 0.45"/></texture>
        </bsdf>'''),
    # Depth of field: spheres at three depths, the middle one in focus.
    'sensor-thinlens': scene(
        sphere('<bsdf type="diffuse"><rgb name="reflectance" value="0.8, 0.3, 0.2"/></bsdf>', center='-0.7, 0.35, 1.2', radius=0.35)
        + '\n' + sphere('<bsdf type="diffuse"><rgb name="reflectance" value="0.2, 0.7, 0.3"/></bsdf>', center='0, 0.4, 0', radius=0.4)
        + '\n' + sphere('<bsdf type="diffuse"><rgb name="reflectance" value="0.2, 0.3, 0.8"/></bsdf>', center='0.8, 0.5, -1.5', radius=0.5)
        + '\n' + SKY_LIGHT, sensor_type='thinlens',
        sensor_extra='<float name="fov" value="45"/><float name="aperture_radius" value="0.12"/>'
                     '<float name="focus_distance" value="4.3"/>', width=32),
    'sensor-orthographic': scene(
        sphere('<bsdf type="diffuse"><rgb name="reflectance" value="0.8, 0.3, 0.2"/></bsdf>', center='-0.5, 0.35, 0.5', radius=0.35)
        + '\n' + sphere('<bsdf type="plastic"><rgb name="diffuse_reflectance" value="0.2, 0.3, 0.8"/></bsdf>',
                        center='0.5, 0.5, -0.5', radius=0.5)
        + '\n' + SKY_LIGHT, sensor_type='orthographic', sensor_extra='', width=32).replace(
        '<transform name="to_world"><lookat', '<transform name="to_world"><scale x="1.3" y="1.3"/><lookat'),
    # Integrators: moment renders its nested integrator's image; ptracer (light tracing, unlimited depth) the same
    # image. The box filter: Mitsuba's light tracer loses the splats that a wider filter would spread from outside
    # the film onto the border pixels (about 20 % darker there with the gaussian).
    'integrator-moment': scene(sphere(GREY) + '\n' + AREA_LIGHT,
                               integrator='<integrator type="moment"><integrator type="path">'
                                          '<integer name="max_depth" value="4"/></integrator></integrator>'),
    'integrator-ptracer': scene(sphere('<bsdf type="diffuse"><rgb name="reflectance" value="0.6, 0.5, 0.3"/></bsdf>')
                                + '\n' + AREA_LIGHT,
                                integrator='<integrator type="ptracer"/>', rfilter='<rfilter type="box"/>'),
    # A spot light projecting the test texture onto the floor and a sphere.
    'emitter-spot-texture': scene(sphere(GREY, center='0.4, 0.4, 0', radius=0.4) + '''
    <emitter type="spot">
        <transform name="to_world"><lookat origin="-0.3, 2.6, 0.8" target="0, 0, 0"/></transform>
        <rgb name="intensity" value="20, 18, 14"/>
        <float name="cutoff_angle" value="35"/>
        <float name="beam_width" value="25"/>
        <texture type="bitmap" name="texture">
            <string name="filename" value="tiles.png"/>
            <string name="filter_type" value="nearest"/>
        </texture>
    </emitter>'''),
    # A projector showing the test texture on the floor and a sphere, with some sky light.
    'emitter-projector': scene(sphere(GREY, center='0.4, 0.4, 0', radius=0.4) + '''
    <emitter type="projector">
        <transform name="to_world"><lookat origin="-0.6, 2.4, 1.2" target="0.1, 0, 0" up="0, 1, 0"/></transform>
        <texture type="bitmap" name="irradiance">
            <string name="filename" value="tiles.png"/>
            <string name="filter_type" value="nearest"/>
        </texture>
        <float name="fov" value="50"/>
        <float name="scale" value="1.5"/>
    </emitter>
    <emitter type="constant"><rgb name="radiance" value="0.1, 0.1, 0.12"/></emitter>'''),
    # A group of a sphere and a cube, drawn twice through instances.
    'shape-instance': scene('''    <shape type="shapegroup" id="pair">
        <shape type="sphere">
            <point name="center" value="0, 0.3, 0"/>
            <float name="radius" value="0.3"/>
            <bsdf type="diffuse"><rgb name="reflectance" value="0.8, 0.3, 0.2"/></bsdf>
        </shape>
        <shape type="cube">
            <transform name="to_world"><scale value="0.2"/><translate value="0.5, 0.2, 0"/></transform>
            <bsdf type="roughconductor"><float name="alpha" value="0.2"/></bsdf>
        </shape>
    </shape>
    <shape type="instance" id="left">
        <ref id="pair"/>
        <transform name="to_world"><translate value="-0.8, 0, 0.3"/></transform>
    </shape>
    <shape type="instance" id="right">
        <ref id="pair"/>
        <transform name="to_world"><scale value="1.4"/><rotate y="1" angle="60"/><translate value="0.4, 0, -0.4"/></transform>
    </shape>
''' + SKY_LIGHT),
}

# Normal and bump maps: a sphere (its tangents from the sphere's parametrisation) and a tilted square (from the
# mesh's texture coordinates), both mapped, under the sky and a rectangle light. bumps-normal.png holds the
# normals of the height field bumps.png (raw values, 16x16).
def mapped_pair(adapter):
    return f'''    <shape type="sphere">
        <point name="center" value="-0.55, 0.5, 0"/>
        <float name="radius" value="0.5"/>
        <bsdf type="{adapter.format(nested='<bsdf type="roughconductor"><float name="alpha" value="0.15"/></bsdf>')}
    </shape>
    <shape type="rectangle">
        <transform name="to_world"><scale value="0.5"/><rotate y="1" angle="-25"/><rotate x="1" angle="-20"/><translate value="0.6, 0.55, 0"/></transform>
        <bsdf type="{adapter.format(nested='<bsdf type="diffuse"><rgb name="reflectance" value="0.7, 0.6, 0.5"/></bsdf>')}
    </shape>
''' + AREA_LIGHT + '\n' + SKY_LIGHT


NORMALMAP = '''normalmap">
            <texture type="bitmap" name="normalmap">
                <string name="filename" value="bumps-normal.png"/>
                <boolean name="raw" value="true"/>
            </texture>
            {nested}
        </bsdf>'''
BUMPMAP = '''bumpmap">
            <texture type="bitmap" name="bumps">
                <string name="filename" value="bumps.png"/>
                <boolean name="raw" value="true"/>
            </texture>
            <float name="scale" value="0.08"/>
            {nested}
        </bsdf>'''
SCENES['bsdf-normalmap'] = scene(mapped_pair(NORMALMAP), width=32)
SCENES['bsdf-bumpmap'] = scene(mapped_pair(BUMPMAP), width=32)

# Principled: every lobe at once (metallic, transmission, clearcoat, sheen, tint); anisotropic with textured
# base colour and roughness (its tangents along the sphere's dp/du).
SCENES['bsdf-principled'] = bsdf_scene('''<bsdf type="principled" id="mat">
            <rgb name="base_color" value="0.8, 0.35, 0.2"/>
            <float name="metallic" value="0.3"/>
            <float name="roughness" value="0.35"/>
            <float name="spec_trans" value="0.3"/>
            <float name="clearcoat" value="0.6"/>
            <float name="clearcoat_gloss" value="0.5"/>
            <float name="spec_tint" value="0.3"/>
            <float name="sheen" value="0.4"/>
            <float name="sheen_tint" value="0.5"/>
        </bsdf>''')
SCENES['bsdf-principled-anisotropic'] = bsdf_scene('''<bsdf type="principled" id="mat">
            <texture type="bitmap" name="base_color"><string name="filename" value="tiles.png"/></texture>
            <texture type="bitmap" name="roughness"><string name="filename" value="tiles.png"/></texture>
            <float name="metallic" value="0.6"/>
            <float name="anisotropic" value="0.7"/>
            <float name="eta" value="1.6"/>
        </bsdf>''')

# Principled thin: a sheet (a square standing on the floor) with specular and diffuse transmission, lit from behind
# by the rectangle light and the sky; its roughness a texture.
SCENES['bsdf-principledthin'] = scene('''    <shape type="rectangle">
        <transform name="to_world"><scale value="0.55"/><rotate y="1" angle="20"/><translate value="0, 0.6, 0"/></transform>
        <bsdf type="principledthin" id="mat">
            <rgb name="base_color" value="0.7, 0.25, 0.3"/>
            <float name="spec_trans" value="0.4"/>
            <float name="diff_trans" value="0.8"/>
            <texture type="bitmap" name="roughness"><string name="filename" value="tiles.png"/></texture>
            <float name="sheen" value="0.3"/>
            <float name="eta" value="1.4"/>
        </bsdf>
    </shape>
''' + AREA_LIGHT.replace('translate value="0.3, 2.2, 0.4"', 'translate value="0.2, 2.0, -1.2"') + '\n' + SKY_LIGHT)

# Cylinders: a tilted tube (p0, p1, radius, a rotating and scaling to_world) whose checkerboard
# shows Mitsuba's uv, its inside seen through the open end (twosided); and a tube as an area light.
CHECKER = '''<texture type="checkerboard" name="reflectance">
                <rgb name="color0" value="0.15, 0.3, 0.8"/>
                <rgb name="color1" value="0.9, 0.85, 0.7"/>
                <transform name="to_uv"><scale x="6" y="3"/></transform>
            </texture>'''
SCENES['shape-cylinder'] = scene(f'''    <shape type="cylinder" id="tube">
        <point name="p0" value="-0.2, 0.1, 0.5"/>
        <point name="p1" value="0.3, 0.5, -0.9"/>
        <float name="radius" value="0.35"/>
        <transform name="to_world"><rotate y="1" angle="25"/><scale value="1.2"/><translate value="0, 0.35, 0"/></transform>
        <bsdf type="twosided"><bsdf type="diffuse">{CHECKER}</bsdf></bsdf>
    </shape>
''' + SKY_LIGHT)
SCENES['emitter-area-cylinder'] = scene('''    <shape type="cylinder" id="lamp">
        <point name="p0" value="-0.8, 1.5, -0.4"/>
        <point name="p1" value="0.8, 1.7, 0.0"/>
        <float name="radius" value="0.3"/>
        <emitter type="area"><rgb name="radiance" value="2.4, 2, 1.4"/></emitter>
    </shape>
    <shape type="cylinder" id="tube">
        <point name="p0" value="0.3, 0, -0.2"/>
        <point name="p1" value="0.3, 0.7, -0.2"/>
        <float name="radius" value="0.3"/>
        <boolean name="flip_normals" value="false"/>
        <bsdf type="diffuse"><rgb name="reflectance" value="0.8, 0.4, 0.3"/></bsdf>
    </shape>
''' + sphere(GREY, center='-0.5, 0.35, 0.3', radius=0.35))

# Mesh attributes: a PLY with vertex colours (red green blue) and one with face colours (r g b),
# each read by a mesh_attribute texture. Floats: Mitsuba keeps integer colours as they are (0-255).
SCENES['texture-mesh-attribute'] = scene('''    <shape type="ply" id="vertexcoloured">
        <string name="filename" value="vertex-colors.ply"/>
        <transform name="to_world"><translate value="-0.55, 0, 0"/></transform>
        <bsdf type="diffuse"><texture type="mesh_attribute" name="reflectance">
            <string name="name" value="vertex_color"/>
        </texture></bsdf>
    </shape>
    <shape type="ply" id="facecoloured">
        <string name="filename" value="face-colors.ply"/>
        <transform name="to_world"><translate value="0.55, 0, 0"/></transform>
        <bsdf type="diffuse"><texture type="mesh_attribute" name="reflectance">
            <string name="name" value="face_color"/>
            <float name="scale" value="0.9"/>
        </texture></bsdf>
    </shape>
''' + SKY_LIGHT)


# Signed-distance grids: a coarse 11x11x11 grid of a capsule fused with a ball (its voxels show
# where the interpolant bends), shaded with Mitsuba's smooth normals and, beside it, with the
# analytic ones; to_world scales unevenly (Mitsuba's sdfgrid expects no rotation there).
SCENES['shape-sdfgrid'] = scene('''    <shape type="sdfgrid" id="smooth">
        <string name="filename" value="capsule.vol"/>
        <transform name="to_world"><scale x="0.9" y="0.8" z="1.0"/><translate value="-0.95, 0.0, -0.5"/></transform>
        <bsdf type="diffuse"><rgb name="reflectance" value="0.8, 0.45, 0.2"/></bsdf>
    </shape>
    <shape type="sdfgrid" id="faceted">
        <string name="filename" value="capsule.vol"/>
        <string name="normals" value="analytic"/>
        <transform name="to_world"><scale x="0.9" y="0.8" z="1.0"/><translate value="0.05, 0.0, -0.5"/></transform>
        <bsdf type="diffuse"><rgb name="reflectance" value="0.2, 0.5, 0.8"/></bsdf>
    </shape>
''' + AREA_LIGHT + '\n' + SKY_LIGHT)


def capsule_distance(x, y, z):
    """Signed distance to a capsule from (0.25, 0.3, 0.5) to (0.75, 0.45, 0.5), radius 0.17,
    smoothly unioned with a ball at (0.45, 0.62, 0.45) of radius 0.2, in [0, 1]^3."""
    ax, ay, az, bx, by, bz = 0.25, 0.3, 0.5, 0.75, 0.45, 0.5
    px, py, pz, dx, dy, dz = x - ax, y - ay, z - az, bx - ax, by - ay, bz - az
    h = max(0.0, min(1.0, (px * dx + py * dy + pz * dz) / (dx * dx + dy * dy + dz * dz)))
    d1 = math.sqrt((px - h * dx) ** 2 + (py - h * dy) ** 2 + (pz - h * dz) ** 2) - 0.17
    d2 = math.sqrt((x - 0.45) ** 2 + (y - 0.62) ** 2 + (z - 0.45) ** 2) - 0.2
    k = 0.08
    m = max(0.0, min(1.0, 0.5 + 0.5 * (d2 - d1) / k))
    return d2 + (d1 - d2) * m - k * m * (1 - m)


def write_vol(path, nx, ny, nz, f):
    """Mitsuba's grid-volume file (.vol version 3, float32, one channel) of f over [0, 1]^3."""
    values = [f(i / (nx - 1), j / (ny - 1), k / (nz - 1)) for k in range(nz) for j in range(ny) for i in range(nx)]
    header = b'VOL' + struct.pack('<B5i6f', 3, 1, nx, ny, nz, 1, 0, 0, 0, 1, 1, 1)
    with open(path, 'wb') as out:
        out.write(header + struct.pack('<%df' % len(values), *values))


def pyramid():
    """A square pyramid 0.9 wide and 0.9 tall on y = 0: 5 vertices, 6 triangles (base included)."""
    v = [(-0.45, 0, -0.45), (0.45, 0, -0.45), (0.45, 0, 0.45), (-0.45, 0, 0.45), (0, 0.9, 0)]
    f = [(0, 4, 1), (1, 4, 2), (2, 4, 3), (3, 4, 0), (0, 1, 2), (0, 2, 3)]
    return v, f


def write_plys():
    v, f = pyramid()
    colours = [(0.9, 0.12, 0.12), (0.12, 0.86, 0.16), (0.16, 0.24, 0.94), (0.98, 0.9, 0.16), (0.95, 0.95, 0.95)]
    lines = ['ply', 'format ascii 1.0', f'element vertex {len(v)}', 'property float x', 'property float y',
             'property float z', 'property float red', 'property float green', 'property float blue',
             f'element face {len(f)}', 'property list uchar int vertex_indices', 'end_header']
    lines += [f'{p[0]} {p[1]} {p[2]} {c[0]} {c[1]} {c[2]}' for p, c in zip(v, colours)]
    lines += [f'3 {a} {b} {c}' for a, b, c in f]
    with open(os.path.join(OUT, 'vertex-colors.ply'), 'w') as out:
        out.write('\n'.join(lines) + '\n')
    faces = [(0.9, 0.2, 0.1), (0.1, 0.7, 0.2), (0.2, 0.3, 0.9), (0.8, 0.8, 0.1), (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)]
    lines = ['ply', 'format ascii 1.0', f'element vertex {len(v)}', 'property float x', 'property float y',
             'property float z', f'element face {len(f)}', 'property list uchar int vertex_indices',
             'property float r', 'property float g', 'property float b', 'end_header']
    lines += [f'{p[0]} {p[1]} {p[2]}' for p in v]
    lines += [f'3 {a} {b} {c} {r} {g} {b_}' for (a, b, c), (r, g, b_) in zip(f, faces)]
    with open(os.path.join(OUT, 'face-colors.ply'), 'w') as out:
        out.write('\n'.join(lines) + '\n')


# Bitmap textures: every filter_type and wrap_mode, a 4x3 sRGB PNG tiled 2.6 times with an offset
# (uv from -0.8 to 1.8) on a square facing the camera, direct light from a constant emitter.
BITMAP = '''    <shape type="rectangle">
        <transform name="to_world"><scale value="0.9"/><translate value="0, 0.9, 0"/></transform>
        <bsdf type="diffuse">
            <texture type="bitmap" name="reflectance">
                <string name="filename" value="tiles.png"/>
                <string name="filter_type" value="{filt}"/>
                <string name="wrap_mode" value="{wrap}"/>
                <transform name="to_uv"><scale value="2.6"/><translate x="-0.8" y="-0.8"/></transform>
            </texture>
        </bsdf>
    </shape>
    <emitter type="constant"><rgb name="radiance" value="1, 1, 1"/></emitter>'''
for filt in ['nearest', 'bilinear']:
    for wrap in ['repeat', 'mirror', 'clamp']:
        SCENES[f'texture-bitmap-{filt}-{wrap}'] = scene(
            BITMAP.format(filt=filt, wrap=wrap), integrator='<integrator type="direct"/>', floor=False,
            origin='0, 0.9, 3', target='0, 0.9, 0', width=32, height=32)


def write_png(path, width, height, rows, colour=True):
    """An 8-bit RGB (or grey) PNG (no dependencies): rows of (r, g, b) (or (v,)) tuples."""
    raw = b''.join(b'\x00' + bytes(c for px in row for c in px) for row in rows)

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2 if colour else 0, 0, 0, 0))
                + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))


TILES = [[(230, 40, 40), (40, 200, 60), (50, 70, 230), (240, 220, 60)],
         [(250, 250, 250), (20, 20, 20), (200, 90, 200), (60, 210, 210)],
         [(128, 64, 0), (0, 128, 128), (180, 180, 60), (100, 100, 160)]]

# A height field of two bumps per side (8-bit, 16x16) and the normals of h(u, v) = 0.5 + 0.5 sin(4πu) sin(4πv)
# for a unit square with heights times 0.15, mapped by (n + 1) / 2 (a tangent frame with v growing downwards
# along t).
BUMPS = [[int(round(255 * (0.5 + 0.5 * math.sin(4 * math.pi * (x + 0.5) / 16) * math.sin(4 * math.pi * (y + 0.5) / 16))))
          for x in range(16)] for y in range(16)]


def bump_normal(x, y):
    u, v = (x + 0.5) / 16, (y + 0.5) / 16
    k = 0.15 * 0.5 * 4 * math.pi
    du = k * math.cos(4 * math.pi * u) * math.sin(4 * math.pi * v)
    dv = k * math.sin(4 * math.pi * u) * math.cos(4 * math.pi * v)
    n = (-du, -dv, 1.0)
    length = math.sqrt(sum(c * c for c in n))
    return tuple(int(round(255 * (c / length + 1) / 2)) for c in n)


BUMP_NORMALS = [[bump_normal(x, y) for x in range(16)] for y in range(16)]

if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    for name, xml in SCENES.items():
        with open(os.path.join(OUT, name + '.xml'), 'w') as f:
            f.write(xml)
    write_png(os.path.join(OUT, 'tiles.png'), 4, 3, TILES)
    write_png(os.path.join(OUT, 'bumps.png'), 16, 16, [[(h,) * 3 for h in row] for row in BUMPS])
    write_png(os.path.join(OUT, 'bumps-normal.png'), 16, 16, BUMP_NORMALS)
    write_png(os.path.join(OUT, 'grey.png'), 4, 4, [[(v,) for v in (0, 80, 160, 240)]] * 4, colour=False)

    write_plys()
    write_vol(os.path.join(OUT, 'capsule.vol'), 11, 11, 11, capsule_distance)
    write_png(os.path.join(OUT, 'mask.png'), 5, 5, [[(255,) * 3 if (x * x + y) % 3 else (0,) * 3 for x in range(5)] for y in range(5)])
    print('wrote', len(SCENES), 'scenes and tiles.png to Tests/Fixtures/plugin-scenes')
