#!/usr/bin/env python3
"""Writes the meshes and environment maps the published Mitsuba scenes of
scenes/published/ refer to, and the serialized test meshes of the SceneFile tests.

The published scene XML files are copied unchanged from Mitsuba's data
repository; their binary assets (the material-preview .serialized, the bunny
PLY, the Cornell box OBJs, the environment maps) are not, so this script makes
small stand-ins with the same file names (see scenes/published/README.md).

Serialized files follow Mitsuba's format description (shapes/serialized.cpp):
per mesh uint16 0x041C, uint16 version, then one zlib stream with uint32
flags, (version 4) a NUL-terminated name, uint64 vertex and triangle counts,
positions, optional normals / texture coordinates / colours (float32 or
float64) and uint32 indices; at the end of the file the byte offset of every
mesh (uint64 in version 4, uint32 in version 3) and the uint32 mesh count.

Usage: python3 tools/make-published-assets.py   (from the repository root; pure Python)
"""
import importlib.util, math, os, shutil, struct, subprocess, tempfile, zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
PUB = os.path.join(ROOT, 'scenes/published/mitsuba-data')
FIX = os.path.join(ROOT, 'Tests/Fixtures/serialized')

spec = importlib.util.spec_from_file_location('assets', os.path.join(ROOT, 'tools/make-assets.py'))
assets = importlib.util.module_from_spec(spec)
spec.loader.exec_module(assets)
spec = importlib.util.spec_from_file_location('plugin_scenes', os.path.join(ROOT, 'tools/make-plugin-scenes.py'))
plugin_scenes = importlib.util.module_from_spec(spec)
spec.loader.exec_module(plugin_scenes)

HAS_NORMALS, HAS_TEXCOORDS, HAS_COLORS, FACE_NORMALS = 0x1, 0x2, 0x8, 0x10
SINGLE, DOUBLE = 0x1000, 0x2000


class Mesh:
    def __init__(self, positions, faces, normals=None, uvs=None, colors=None, name='mesh'):
        self.positions, self.faces = positions, faces
        self.normals, self.uvs, self.colors, self.name = normals, uvs, colors, name


def serialized_mesh(mesh, version=4, double=False, face_normals=False):
    """One mesh record: header plus its zlib stream."""
    flags = DOUBLE if double else SINGLE
    if mesh.normals is not None: flags |= HAS_NORMALS
    if mesh.uvs is not None: flags |= HAS_TEXCOORDS
    if mesh.colors is not None: flags |= HAS_COLORS
    if face_normals: flags |= FACE_NORMALS
    fmt = 'd' if double else 'f'
    body = struct.pack('<I', flags)
    if version == 4:
        body += mesh.name.encode() + b'\0'
    body += struct.pack('<QQ', len(mesh.positions), len(mesh.faces))
    def arr(rows):
        flat = [v for row in rows for v in row]
        return struct.pack('<%d%s' % (len(flat), fmt), *flat)
    body += arr(mesh.positions)
    if mesh.normals is not None: body += arr(mesh.normals)
    if mesh.uvs is not None: body += arr(mesh.uvs)
    if mesh.colors is not None: body += arr(mesh.colors)
    flat = [i for f in mesh.faces for i in f]
    body += struct.pack('<%dI' % len(flat), *flat)
    return struct.pack('<HH', 0x041C, version) + zlib.compress(body, 9)


def serialized_file(records, version=4):
    """Concatenated mesh records and the end-of-file dictionary."""
    data, offsets = b'', []
    for r in records:
        offsets.append(len(data))
        data += r
    data += struct.pack('<%d%s' % (len(offsets), 'Q' if version == 4 else 'I'), *offsets)
    return data + struct.pack('<I', len(records))


def uv_sphere(radius=1.0, nu=32, nv=16, center=(0, 0, 0), normals=True, uvs=True):
    pos, nor, uv, faces = [], [], [], []
    for j in range(nv + 1):
        theta = math.pi * j / nv
        for i in range(nu + 1):
            phi = 2 * math.pi * i / nu
            n = (math.sin(theta) * math.cos(phi), math.sin(theta) * math.sin(phi), math.cos(theta))
            pos.append(tuple(center[k] + radius * n[k] for k in range(3)))
            nor.append(n)
            uv.append((i / nu, j / nv))
    for j in range(nv):
        for i in range(nu):
            a, b = j * (nu + 1) + i, j * (nu + 1) + i + 1
            c, d = (j + 1) * (nu + 1) + i, (j + 1) * (nu + 1) + i + 1
            if j != 0: faces.append((a, c, b))
            if j != nv - 1: faces.append((b, c, d))
    return Mesh(pos, faces, nor if normals else None, uv if uvs else None)


def quad(normals=True):
    pos = [(-1, -1, 0), (1, -1, 0), (1, 1, 0), (-1, 1, 0)]
    return Mesh(pos, [(0, 1, 2), (2, 3, 0)], [(0, 0, 1)] * 4 if normals else None,
                [(0, 0), (1, 0), (1, 1), (0, 1)], name='plane')


def icosphere(radius, subdivisions, center=(0, 0, 0), bumps=False):
    verts, faces = assets.icosphere(subdivisions)
    out = []
    for v in verts:
        r = radius
        if bumps:  # a lumpy, bunny-sized blob: a few smooth bumps
            r *= 1 + 0.18 * math.exp(-((v[0] - 0.6) ** 2 + (v[1] - 0.7) ** 2 + v[2] ** 2) * 4) \
                   + 0.12 * math.exp(-((v[0] + 0.5) ** 2 + (v[1] - 0.5) ** 2 + (v[2] - 0.4) ** 2) * 6) \
                   - 0.08 * math.exp(-((v[1] + 0.9) ** 2) * 5)
        out.append(tuple(center[k] + r * v[k] for k in range(3)))
    return Mesh(out, [tuple(f) for f in faces], name='blob')


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = 'wb' if isinstance(data, bytes) else 'w'
    with open(path, mode) as f:
        f.write(data)
    print('wrote', os.path.relpath(path, ROOT))


def obj_text(mesh, with_normals, with_uvs=False):
    lines = ['# generated by tools/make-published-assets.py']
    lines += ['v %.6g %.6g %.6g' % p for p in mesh.positions]
    if with_uvs:
        lines += ['vt %.6g %.6g' % t for t in mesh.uvs]
        lines += ['vn %.6g %.6g %.6g' % n for n in mesh.normals]
        lines += ['f %d/%d/%d %d/%d/%d %d/%d/%d' % (a + 1, a + 1, a + 1, b + 1, b + 1, b + 1, c + 1, c + 1, c + 1)
                  for a, b, c in mesh.faces]
    elif with_normals:
        lines += ['vn %.6g %.6g %.6g' % n for n in mesh.normals]
        lines += ['f %d//%d %d//%d %d//%d' % (a + 1, a + 1, b + 1, b + 1, c + 1, c + 1) for a, b, c in mesh.faces]
    else:
        lines += ['f %d %d %d' % (a + 1, b + 1, c + 1) for a, b, c in mesh.faces]
    return '\n'.join(lines) + '\n'


def quads_obj(quads):
    """Flat quads (4 corners each, counter-clockwise seen from the lit side), one normal each."""
    lines, k = ['# generated by tools/make-published-assets.py'], 0
    for q in quads:
        a, b, c = q[0], q[1], q[2]
        u = [b[i] - a[i] for i in range(3)]; v = [c[i] - a[i] for i in range(3)]
        n = (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])
        l = math.sqrt(sum(x * x for x in n))
        lines += ['v %g %g %g' % p for p in q]
        lines.append('vn %.6g %.6g %.6g' % tuple(x / l for x in n))
        m = k // 4 + 1
        lines.append('f %d//%d %d//%d %d//%d %d//%d' % (k + 1, m, k + 2, m, k + 3, m, k + 4, m))
        k += 4
    return '\n'.join(lines) + '\n'


def facing(quad, point, toward):
    """The quad, its corners reversed if needed so its normal points toward (or away from) `point`."""
    a, b, c = quad[0], quad[1], quad[2]
    u = [b[i] - a[i] for i in range(3)]; v = [c[i] - a[i] for i in range(3)]
    n = (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])
    centre = [sum(q[i] for q in quad) / 4 for i in range(3)]
    d = sum(n[i] * (point[i] - centre[i]) for i in range(3))
    return quad if (d > 0) == toward else quad[::-1]


def box(corners_bottom, height):
    """An upright box from its 4 floor corners: top and 4 sides, facing outward."""
    b = corners_bottom
    t = [(x, height, z) for (x, _, z) in b]
    centre = (sum(p[0] for p in b) / 4, height / 2, sum(p[2] for p in b) / 4)
    quads = [[t[0], t[1], t[2], t[3]]]
    for i in range(4):
        j = (i + 1) % 4
        quads.append([b[i], b[j], t[j], t[i]])
    return [facing(q, centre, toward=False) for q in quads]


def cornell_box():
    """Quads in millimetres after the classic Cornell box measurements (camera at z = -800 looking +z)."""
    return {
        'floor': [[(552.8, 0, 0), (0, 0, 0), (0, 0, 559.2), (549.6, 0, 559.2)]],
        'ceiling': [[(556, 548.8, 0), (556, 548.8, 559.2), (0, 548.8, 559.2), (0, 548.8, 0)]],
        'back': [[(549.6, 0, 559.2), (0, 0, 559.2), (0, 548.8, 559.2), (556, 548.8, 559.2)]],
        'greenwall': [[(0, 0, 559.2), (0, 0, 0), (0, 548.8, 0), (0, 548.8, 559.2)]],
        'redwall': [[(552.8, 0, 0), (549.6, 0, 559.2), (556, 548.8, 559.2), (556, 548.8, 0)]],
        'luminaire': [[(343, 548.8, 227), (343, 548.8, 332), (213, 548.8, 332), (213, 548.8, 227)]],
        'smallbox': box([(130, 0, 65), (82, 0, 225), (240, 0, 272), (290, 0, 114)], 165),
        'largebox': box([(423, 0, 247), (265, 0, 296), (314, 0, 456), (472, 0, 406)], 330),
    }


def png(path, rows, colour=True):
    """An 8-bit PNG from rows of (r, g, b) (or (v,)) tuples."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    plugin_scenes.write_png(path, len(rows[0]), len(rows), rows, colour)
    print('wrote', os.path.relpath(path, ROOT))


def jpeg(path, rows):
    """A baseline JPEG (quality 95, no chroma subsampling) through libjpeg-turbo's cjpeg."""
    if shutil.which('cjpeg') is None:
        raise SystemExit('make-published-assets: cjpeg not found (Debian package libjpeg-turbo-progs)')
    ppm = b'P6\n%d %d\n255\n' % (len(rows[0]), len(rows)) + bytes(c for row in rows for px in row for c in px)
    with tempfile.NamedTemporaryFile(suffix='.ppm') as f:
        f.write(ppm)
        f.flush()
        data = subprocess.run(['cjpeg', '-quality', '95', '-sample', '1x1', f.name], check=True,
                              capture_output=True).stdout
    write(path, data)


def image(size, colour):
    """Rows of colour(x, y) for x, y in [0, 1) at pixel centres, as 8-bit tuples."""
    def byte(v):
        return max(0, min(255, int(round(255 * v))))
    return [[tuple(byte(c) for c in colour((x + 0.5) / size, (y + 0.5) / size)) for x in range(size)]
            for y in range(size)]


def bmp(path, rows):
    """A 24-bit uncompressed Windows bitmap (rows bottom-up, each padded to 4 bytes)."""
    h, w = len(rows), len(rows[0])
    stride = (3 * w + 3) // 4 * 4
    pixels = b''.join(bytes(c for px in row for c in reversed(px)).ljust(stride, b'\0') for row in reversed(rows))
    info = struct.pack('<IiiHHIIiiII', 40, w, h, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    write(path, b'BM' + struct.pack('<IHHI', 14 + len(info) + len(pixels), 0, 0, 14 + len(info)) + info + pixels)


def flower(u, v):
    r = math.hypot(u - 0.5, v - 0.5)
    petal = 0.3 + 0.12 * math.cos(6 * math.atan2(v - 0.5, u - 0.5))
    if r < 0.1:
        return (0.95, 0.8, 0.1)
    return (0.9, 0.3, 0.6) if r < petal else (0.2, 0.5, 0.2)


def wood(u, v):
    ring = 0.5 + 0.5 * math.sin(40 * math.hypot(u - 0.2, v - 1.3) + 3 * math.sin(7 * v))
    return (0.45 + 0.3 * ring, 0.28 + 0.18 * ring, 0.12 + 0.08 * ring)


def leaf(u, v):
    """A leaf-shaped opacity mask: 1 inside an ellipse pinched at both ends, 0 outside."""
    x, y = (u - 0.5) * 2, (v - 0.5) * 2
    half_width = 0.55 * (1 - y * y) ** 1.5 if abs(y) < 1 else 0
    return (1.0 if abs(x) < half_width else 0.0,)


def tile_height(u, v):
    """Floor tiles, 4 x 4, with bevelled edges: 1 on a tile, 0 in the grout."""
    fu, fv = (u * 4) % 1, (v * 4) % 1
    return min(1.0, min(fu, 1 - fu, fv, 1 - fv) / 0.12)


def tiles(u, v):
    h = tile_height(u, v)
    odd = (int(u * 4) + int(v * 4)) % 2
    base = (0.75, 0.72, 0.66) if odd else (0.55, 0.35, 0.3)
    return tuple(0.15 + (c - 0.15) * h for c in base)


def tile_normals(u, v):
    """The normals of tile_height times 0.05 per texel, mapped by (n + 1) / 2."""
    e = 1 / 64
    du = (tile_height(u + e, v) - tile_height(u - e, v)) / (2 * e) * 0.05
    dv = (tile_height(u, v + e) - tile_height(u, v - e)) / (2 * e) * 0.05
    n = (-du, -dv, 1)
    length = math.sqrt(sum(c * c for c in n))
    return tuple(0.5 + 0.5 * c / length for c in n)


def carrot(u, v):
    """An asymmetric picture (an orange wedge with a green top on blue) so that wrap modes differ."""
    if v < 0.25 and abs(u - 0.5) < 0.3 * (1 - v * 2):
        return (0.2, 0.7, 0.15)
    if v >= 0.25 and abs(u - 0.4) < 0.3 * (1 - (v - 0.25) / 0.75):
        return (0.95, 0.5 - 0.3 * u, 0.05)
    return (0.1 + 0.5 * u, 0.2, 0.6 + 0.3 * v)


def de_bruijn(u, v):
    """Stripes in the order of a binary de Bruijn sequence of order 4, crossed with a ramp."""
    bits = [0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1]
    b = bits[int(u * 16) % 16]
    return (0.1 + 0.8 * b, 0.1 + 0.8 * b * v, 0.9 - 0.8 * b)


def rectangle(name='rectangle'):
    """Mitsuba's rectangle: [-1, 1]^2 at z = 0 facing +z, normals and uvs."""
    m = quad()
    m.name = name
    return m


def attribute_ply(sphere):
    """The sphere as ASCII PLY with a vertex colour, a face colour and a face weight."""
    lines = ['ply', 'format ascii 1.0', 'comment generated by tools/make-published-assets.py',
             'element vertex %d' % len(sphere.positions)]
    lines += ['property float %s' % p for p in ['x', 'y', 'z', 'red', 'green', 'blue']]
    lines += ['element face %d' % len(sphere.faces), 'property list uchar int vertex_indices']
    lines += ['property float %s' % p for p in ['r', 'g', 'b', 'weight_0']]
    lines.append('end_header')
    for (x, y, z) in sphere.positions:
        lines.append('%.6g %.6g %.6g %.4g %.4g %.4g' % (x, y, z, 0.5 + 0.5 * x, 0.5 + 0.5 * y, 0.5 + 0.5 * z))
    for i, (a, b, c) in enumerate(sphere.faces):
        cz = sum(sphere.positions[k][2] for k in (a, b, c)) / 3
        cx = sum(sphere.positions[k][0] for k in (a, b, c)) / 3
        lines.append('3 %d %d %d %.4g %.4g %.4g %.4g' % (a, b, c, 0.5 + 0.5 * cx, 0.3, 0.5 - 0.5 * cz,
                                                        (i // 7) % 2 * 0.8 + 0.1))
    return '\n'.join(lines) + '\n'


def torus_sdf_vol(res=24, major=0.28, minor=0.11):
    """A Mitsuba grid-volume file (.vol, version 3, float32, one channel) of the signed distance
    to a torus in [0, 1]^3 (centre 0.5, axis z), sampled at res^3 points on the cube's corners and
    faces: what the sdfgrid shape reads."""
    values = []
    for k in range(res):
        for j in range(res):
            for i in range(res):
                x, y, z = (i / (res - 1) - 0.5, j / (res - 1) - 0.5, k / (res - 1) - 0.5)
                values.append(math.hypot(math.hypot(x, y) - major, z) - minor)
    header = b'VOL' + struct.pack('<B', 3) + struct.pack('<5i', 1, res, res, res, 1) + struct.pack('<6f', 0, 0, 0, 1, 1, 1)
    return header + struct.pack('<%df' % len(values), *values)


def regression_assets():
    """Stand-ins for the assets of Mitsuba's render regression scenes (tests/scenes/)."""
    sphere = uv_sphere(1.0, 48, 24)
    sky = assets.sky(64, 32)
    for folder in ['common', 'tests/scenes/bsdf_spheres']:
        write(os.path.join(PUB, folder, 'meshes/sphere.obj'), obj_text(sphere, True, with_uvs=True))
        write(os.path.join(PUB, folder, 'meshes/rectangle.obj'), obj_text(rectangle(), True, with_uvs=True))
    for path in ['common/textures/museum.exr', 'tests/scenes/bsdf_spheres/textures/envmap.exr',
                 'scenes/matpreview/envmap.exr']:
        os.makedirs(os.path.dirname(os.path.join(PUB, path)), exist_ok=True)
        assets.write_exr_half(os.path.join(PUB, path), 64, 32, sky)
        print('wrote', path)
    jpeg(os.path.join(PUB, 'tests/scenes/bsdf_spheres/textures/wood.jpg'), image(32, wood))
    png(os.path.join(PUB, 'tests/scenes/bsdf_spheres/textures/leaf_mask.png'), image(32, leaf), colour=False)
    jpeg(os.path.join(PUB, 'common/textures/floor_tiles.jpg'), image(32, tiles))
    jpeg(os.path.join(PUB, 'common/textures/floor_tiles_normalmap.jpg'), image(32, tile_normals))
    for path in ['common/textures/carrot.png', 'tests/scenes/texture_interp/carrot.png']:
        png(os.path.join(PUB, path), image(12, carrot))
    png(os.path.join(PUB, 'common/textures/de_bruijn_pattern.png'), image(16, de_bruijn))
    bmp(os.path.join(PUB, 'common/textures/flower.bmp'), image(16, flower))
    write(os.path.join(PUB, 'docs/scenes/sdfgrid/torus_sdfgrid.vol'), torus_sdf_vol())
    write(os.path.join(PUB, 'common/meshes/sphere_attribute.ply'), attribute_ply(uv_sphere(1.0, 24, 12)))
    write(os.path.join(PUB, 'tests/scenes/mesh_tangents/meshes/uv_sphere.obj'),
          obj_text(uv_sphere(1.0, 12, 6), True, with_uvs=True))
    flat = rectangle('rectangle_normals_uv')
    write(os.path.join(PUB, 'tests/serialized/rectangle_normals_uv.serialized'),
          serialized_file([serialized_mesh(flat, version=4)]))
    write(os.path.join(PUB, 'tests/obj/rectangle_normals_uv.obj'), obj_text(flat, True, with_uvs=True))
    header = ('ply\nformat binary_little_endian 1.0\ncomment generated by tools/make-published-assets.py\n'
              'element vertex 4\n' + ''.join('property float %s\n' % p for p in ['x', 'y', 'z', 'nx', 'ny', 'nz', 'u', 'v'])
              + 'element face 2\nproperty list uchar int vertex_indices\nend_header\n').encode()
    body = b''.join(struct.pack('<8f', *p, *n, *t) for p, n, t in zip(flat.positions, flat.normals, flat.uvs))
    body += b''.join(struct.pack('<B3i', 3, *f) for f in flat.faces)
    write(os.path.join(PUB, 'tests/ply/rectangle_normals_uv.ply'), header + body)
    write(os.path.join(PUB, 'scenes/matpreview/matpreview.serialized'), serialized_file([
        serialized_mesh(quad(), version=4),
        serialized_mesh(icosphere(0.45, 2, center=(0, 0, 0.45)), version=4),
        serialized_mesh(uv_sphere(1.0, 48, 24), version=4, double=True),
    ]))


def main():
    # The material-preview meshes: 0 the ground plane (normals, uvs), 1 the inner
    # stand (no normals: DiffRay and Mitsuba compute smooth ones), 2 the preview
    # object (double precision, normals and uvs).
    matpreview = serialized_file([
        serialized_mesh(quad(), version=4),
        serialized_mesh(icosphere(0.45, 2, center=(0, 0, 0.45)), version=4),
        serialized_mesh(uv_sphere(1.0, 48, 24), version=4, double=True),
    ])
    write(os.path.join(PUB, 'docs/scenes/meshes/matpreview.serialized'), matpreview)
    write(os.path.join(PUB, 'common/meshes/matpreview.serialized'), matpreview)

    # A bunny-sized lumpy blob, binary PLY without normals (smooth or faceted by face_normals).
    blob = icosphere(0.075, 3, center=(0, 0.08, 0), bumps=True)
    header = ('ply\nformat binary_little_endian 1.0\ncomment generated by tools/make-published-assets.py\n'
              'element vertex %d\nproperty float x\nproperty float y\nproperty float z\n'
              'element face %d\nproperty list uchar int vertex_indices\nend_header\n'
              % (len(blob.positions), len(blob.faces))).encode()
    body = b''.join(struct.pack('<3f', *p) for p in blob.positions)
    body += b''.join(struct.pack('<B3i', 3, *f) for f in blob.faces)
    write(os.path.join(PUB, 'docs/scenes/meshes/bunny.ply'), header + body)

    room = (278, 274, 280)
    for name, quads in cornell_box().items():
        if name not in ('smallbox', 'largebox'):
            quads = [facing(q, room, toward=True) for q in quads]
        write(os.path.join(PUB, 'docs/scenes/meshes/cbox_%s.obj' % name), quads_obj(quads))

    # Veach's MIS plates and floor (needed once roughplastic is supported).
    for i, (y, tilt) in enumerate([(-2.6, 0.4), (-2.2, 0.6), (-1.75, 0.8), (-1.2, 1.0)], start=1):
        d, h = 2.0 * math.cos(tilt) / 2, 2.0 * math.sin(tilt) / 2
        z = 0.5 - 1.2 * i
        write(os.path.join(PUB, 'docs/scenes/meshes/veach/plate%d.obj' % i),
              quads_obj([[(-4, y - h, z + d), (4, y - h, z + d), (4, y + h, z - d), (-4, y + h, z - d)]]))
    write(os.path.join(PUB, 'docs/scenes/meshes/veach/floor.obj'),
          quads_obj([[(-10, -4.15, 10), (10, -4.15, 10), (10, -4.15, -10), (-10, -4.15, -10)]]))

    sky = assets.sky(64, 32)
    for folder in ['docs/scenes/textures/envmap.exr', 'docs/scenes/textures/museum.exr',
                   'tests/scenes/infinite_mirrors/envmap.exr', 'tests/scenes/participating_media/textures/envmap.exr']:
        path = os.path.join(PUB, folder)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        assets.write_exr_half(path, 64, 32, sky)
        print('wrote', os.path.relpath(path, ROOT))
    write(os.path.join(PUB, 'tests/scenes/infinite_mirrors/sphere.obj'), obj_text(uv_sphere(1.0, 48, 24), True))

    regression_assets()

    # SceneFile test meshes: every flag combination the reader handles.
    tri = Mesh([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [(0, 1, 2)], [(0, 0, 1)] * 3, [(0, 0), (1, 0), (0, 1)],
               colors=[(1, 0, 0), (0, 1, 0), (0, 0, 1)], name='triangle')
    write(os.path.join(FIX, 'three-meshes-v4.serialized'), serialized_file([
        serialized_mesh(tri, version=4),
        serialized_mesh(Mesh([(0, 0, 0), (2, 0, 0), (2, 2, 0), (0, 2, 0)], [(0, 1, 2), (2, 3, 0)], name='square'),
                        version=4, double=True),
        serialized_mesh(Mesh([(0, 0, 1), (1, 0, 1), (0, 1, 1)], [(0, 1, 2)], name='faceted'), version=4,
                        face_normals=True),
    ]))
    write(os.path.join(FIX, 'two-meshes-v3.serialized'), serialized_file([
        serialized_mesh(Mesh([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [(0, 1, 2)]), version=3),
        serialized_mesh(Mesh([(5, 0, 0), (6, 0, 0), (5, 1, 0), (6, 1, 0)], [(0, 1, 2), (1, 3, 2)],
                             uvs=[(0, 0), (1, 0), (0, 1), (1, 1)]), version=3, double=True),
    ], version=3))
    # For the render comparison: a sphere without normals (smooth ones computed) and one faceted.
    write(os.path.join(FIX, 'spheres.serialized'), serialized_file([
        serialized_mesh(icosphere(1.0, 2), version=4),
        serialized_mesh(icosphere(1.0, 1), version=4, face_normals=True),
    ]))


if __name__ == '__main__':
    main()
