#!/usr/bin/env python3
"""Regenerates the procedural assets of scenes/ without DiffRay or any library:

  scenes/textures/sky.exr   128x64 equirectangular sky (half-float, uncompressed EXR):
                            a zenith-to-horizon gradient, a darker ground and a soft
                            sun-like hot spot; Mitsuba's envmap convention (+Y up,
                            top row = straight up, u = atan2(x, -z) / 2pi).
  scenes/meshes/blob.obj    a bunny-like lumpy blob: an icosphere (3 subdivisions)
                            displaced by a few smooth bumps, with vertex normals and uvs.
  scenes/meshes/torus.ply   a torus (binary little-endian PLY, 48x24 segments) with
                            vertex normals and uvs.
  scenes/meshes/icosphere.ply  an ASCII PLY icosphere (2 subdivisions), positions only.
  scenes/meshes/dense-blob.ply the blob's shape on an icosphere of 4 subdivisions (5,120
                            triangles, 7,680 edges), binary little-endian PLY with vertex
                            normals: a mesh above the boundary term's flat-scan limit.

Usage: python3 tools/make-assets.py   (from the repository root)
"""
import math, os, struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')


# ---------------------------------------------------------------- EXR writer
def write_exr_half(path, width, height, rgb):
    """rgb: list of (r, g, b) floats, row-major, top row first. Uncompressed scanline EXR."""
    def attr(name, typ, data):
        return name.encode() + b'\0' + typ.encode() + b'\0' + struct.pack('<i', len(data)) + data
    chlist = b''
    for c in 'BGR':  # channels sorted by name
        chlist += c.encode() + b'\0' + struct.pack('<iB3xii', 1, 0, 1, 1)  # HALF, pLinear 0, sampling 1x1
    chlist += b'\0'
    box = struct.pack('<iiii', 0, 0, width - 1, height - 1)
    header = (b'\x76\x2f\x31\x01' + struct.pack('<i', 2)
              + attr('channels', 'chlist', chlist)
              + attr('compression', 'compression', b'\0')
              + attr('dataWindow', 'box2i', box)
              + attr('displayWindow', 'box2i', box)
              + attr('lineOrder', 'lineOrder', b'\0')
              + attr('pixelAspectRatio', 'float', struct.pack('<f', 1.0))
              + attr('screenWindowCenter', 'v2f', struct.pack('<ff', 0.0, 0.0))
              + attr('screenWindowWidth', 'float', struct.pack('<f', 1.0))
              + b'\0')
    line_bytes = width * 3 * 2
    chunk = 8 + line_bytes
    start = len(header) + 8 * height
    table = b''.join(struct.pack('<Q', start + y * chunk) for y in range(height))
    body = b''
    for y in range(height):
        row = rgb[y * width:(y + 1) * width]
        data = b''
        for c in (2, 1, 0):  # B, G, R
            data += struct.pack('<%de' % width, *[p[c] for p in row])
        body += struct.pack('<ii', y, line_bytes) + data
    with open(path + '.tmp', 'wb') as f:
        f.write(header + table + body)
    os.replace(path + '.tmp', path)


def sky(width=128, height=64):
    # Sun direction: elevation 35 degrees, towards the camera's front-left.
    elev, azim = math.radians(35), math.radians(-50)
    sun = (math.cos(elev) * math.sin(azim), math.sin(elev), -math.cos(elev) * math.cos(azim))
    out = []
    for y in range(height):
        theta = (y + 0.5) / height * math.pi
        for x in range(width):
            phi = (x + 0.5) / width * 2 * math.pi
            d = (math.sin(theta) * math.sin(phi), math.cos(theta), -math.sin(theta) * math.cos(phi))
            up = d[1]
            if up >= 0:
                t = up ** 0.5
                zen, hor = (0.18, 0.32, 0.75), (0.85, 0.9, 1.0)
                c = [hor[i] * (1 - t) + zen[i] * t for i in range(3)]
            else:
                t = min(1.0, -up * 4)
                ground, hor = (0.25, 0.21, 0.17), (0.6, 0.58, 0.55)
                c = [hor[i] * (1 - t) + ground[i] * t for i in range(3)]
            cosang = max(-1.0, min(1.0, sum(d[i] * sun[i] for i in range(3))))
            ang = math.degrees(math.acos(cosang))
            hot = 40.0 * math.exp(-(ang / 4.0) ** 2) + 1.5 * math.exp(-(ang / 25.0) ** 2)
            out.append((c[0] + hot * 1.0, c[1] + hot * 0.9, c[2] + hot * 0.7))
    return out


# ---------------------------------------------------------------- meshes
def icosphere(subdivisions):
    t = (1 + 5 ** 0.5) / 2
    verts = [(-1, t, 0), (1, t, 0), (-1, -t, 0), (1, -t, 0), (0, -1, t), (0, 1, t), (0, -1, -t), (0, 1, -t),
             (t, 0, -1), (t, 0, 1), (-t, 0, -1), (-t, 0, 1)]
    verts = [tuple(c / math.sqrt(sum(v * v for v in p)) for c in p) for p in verts]
    faces = [(0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11), (1, 5, 9), (5, 11, 4), (11, 10, 2), (10, 7, 6),
             (7, 1, 8), (3, 9, 4), (3, 4, 2), (3, 2, 6), (3, 6, 8), (3, 8, 9), (4, 9, 5), (2, 4, 11), (6, 2, 10),
             (8, 6, 7), (9, 8, 1)]
    for _ in range(subdivisions):
        cache, new = {}, []
        def mid(a, b):
            key = (min(a, b), max(a, b))
            if key not in cache:
                p = [(verts[a][i] + verts[b][i]) / 2 for i in range(3)]
                n = math.sqrt(sum(c * c for c in p))
                verts.append(tuple(c / n for c in p))
                cache[key] = len(verts) - 1
            return cache[key]
        for a, b, c in faces:
            ab, bc, ca = mid(a, b), mid(b, c), mid(c, a)
            new += [(a, ab, ca), (b, bc, ab), (c, ca, bc), (ab, bc, ca)]
        faces = new
    return verts, faces


def vertex_normals(verts, faces):
    acc = [[0.0, 0.0, 0.0] for _ in verts]
    for a, b, c in faces:
        p0, p1, p2 = verts[a], verts[b], verts[c]
        e1 = [p1[i] - p0[i] for i in range(3)]
        e2 = [p2[i] - p0[i] for i in range(3)]
        n = (e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0])
        for v in (a, b, c):
            for i in range(3):
                acc[v][i] += n[i]  # area weighted
    out = []
    for n in acc:
        l = math.sqrt(sum(c * c for c in n)) or 1
        out.append(tuple(c / l for c in n))
    return out


def blob_shape(subdivisions):
    """The blob's displaced positions, its unit-sphere positions and its faces."""
    verts, faces = icosphere(subdivisions)
    bumps = [((0.3, 0.9, 0.2), 0.35, 0.5), ((-0.2, 0.85, 0.45), 0.3, 0.45),  # two "ears"
             ((0.0, -0.2, 0.95), 0.15, 0.6), ((0.8, -0.3, -0.4), 0.12, 0.7)]
    out = []
    for p in verts:
        r = 1.0
        for c, h, w in bumps:
            d2 = sum((p[i] - c[i]) ** 2 for i in range(3))
            r += h * math.exp(-d2 / (w * w))
        r *= 1 - 0.25 * max(0.0, -p[1]) ** 2  # flatter bottom
        out.append((p[0] * r, p[1] * r * 0.9, p[2] * r))
    return out, verts, faces


def blob():
    out, verts, faces = blob_shape(3)
    normals = vertex_normals(out, faces)
    uvs = [(0.5 + math.atan2(p[0], p[2]) / (2 * math.pi), 0.5 - math.asin(max(-1, min(1, p[1]))) / math.pi) for p in verts]
    lines = ['# bunny-like blob: icosphere(3) displaced by smooth bumps (tools/make-assets.py)']
    lines += ['v %.6f %.6f %.6f' % p for p in out]
    lines += ['vt %.6f %.6f' % t for t in uvs]
    lines += ['vn %.6f %.6f %.6f' % n for n in normals]
    lines += ['f %d/%d/%d %d/%d/%d %d/%d/%d' % (a + 1, a + 1, a + 1, b + 1, b + 1, b + 1, c + 1, c + 1, c + 1)
              for a, b, c in faces]
    return '\n'.join(lines) + '\n'


def torus_ply(R=1.0, r=0.35, nu=48, nv=24):
    verts, normals, uvs, faces = [], [], [], []
    for i in range(nu + 1):
        u = i / nu * 2 * math.pi
        for j in range(nv + 1):
            v = j / nv * 2 * math.pi
            n = (math.cos(v) * math.cos(u), math.sin(v), math.cos(v) * math.sin(u))
            verts.append(((R + r * math.cos(v)) * math.cos(u), r * math.sin(v), (R + r * math.cos(v)) * math.sin(u)))
            normals.append(n)
            uvs.append((i / nu, j / nv))
    for i in range(nu):
        for j in range(nv):
            a, b = i * (nv + 1) + j, (i + 1) * (nv + 1) + j
            faces.append((a, a + 1, b + 1))
            faces.append((a, b + 1, b))
    header = ('ply\nformat binary_little_endian 1.0\ncomment torus (tools/make-assets.py)\n'
              'element vertex %d\nproperty float x\nproperty float y\nproperty float z\n'
              'property float nx\nproperty float ny\nproperty float nz\nproperty float u\nproperty float v\n'
              'element face %d\nproperty list uchar int vertex_indices\nend_header\n') % (len(verts), len(faces))
    body = b''.join(struct.pack('<8f', *verts[k], *normals[k], *uvs[k]) for k in range(len(verts)))
    body += b''.join(struct.pack('<B3i', 3, *f) for f in faces)
    return header.encode() + body


def dense_blob_ply():
    verts, _, faces = blob_shape(4)
    normals = vertex_normals(verts, faces)
    header = ('ply\nformat binary_little_endian 1.0\ncomment blob on icosphere(4) (tools/make-assets.py)\n'
              'element vertex %d\nproperty float x\nproperty float y\nproperty float z\n'
              'property float nx\nproperty float ny\nproperty float nz\n'
              'element face %d\nproperty list uchar int vertex_indices\nend_header\n') % (len(verts), len(faces))
    body = b''.join(struct.pack('<6f', *verts[k], *normals[k]) for k in range(len(verts)))
    body += b''.join(struct.pack('<B3i', 3, *f) for f in faces)
    return header.encode() + body


def icosphere_ascii_ply():
    verts, faces = icosphere(2)
    lines = ['ply', 'format ascii 1.0', 'comment icosphere(2) (tools/make-assets.py)', 'element vertex %d' % len(verts),
             'property float x', 'property float y', 'property float z', 'element face %d' % len(faces),
             'property list uchar int vertex_indices', 'end_header']
    lines += ['%.6f %.6f %.6f' % p for p in verts]
    lines += ['3 %d %d %d' % f for f in faces]
    return '\n'.join(lines) + '\n'


def write(path, data):
    full = os.path.join(ROOT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    mode = 'wb' if isinstance(data, bytes) else 'w'
    with open(full + '.tmp', mode) as f:
        f.write(data)
    os.replace(full + '.tmp', full)
    print('wrote', path, os.path.getsize(full), 'bytes')


if __name__ == '__main__':
    os.makedirs(os.path.join(ROOT, 'scenes/textures'), exist_ok=True)
    write_exr_half(os.path.join(ROOT, 'scenes/textures/sky.exr'), 128, 64, sky())
    print('wrote scenes/textures/sky.exr')
    write('scenes/meshes/blob.obj', blob())
    write('scenes/meshes/torus.ply', torus_ply())
    write('scenes/meshes/icosphere.ply', icosphere_ascii_ply())
    write('scenes/meshes/dense-blob.ply', dense_blob_ply())
