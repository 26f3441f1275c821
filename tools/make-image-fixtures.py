#!/usr/bin/env python3
"""Writes Tests/ImageIOTests/JPEGHDRFixtures.swift: small JPEG and Radiance .hdr
files with known pixels, for the readers' tests.

JPEG: a 16x16 PPM of four flat 8x8 blocks, compressed by libjpeg-turbo's
`cjpeg` (Debian package libjpeg-turbo-progs) at quality 100 without chroma
subsampling, in colour and grey. HDR: RGBE bytes written here by hand, one file
with run-length encoded scanlines (width 20: runs and literal stretches) and
one with flat scanlines (width 3, too narrow to be run-length encoded).

    python3 tools/make-image-fixtures.py > Tests/ImageIOTests/JPEGHDRFixtures.swift
"""
import base64, subprocess, tempfile, os

BLOCKS = [(200, 30, 60), (10, 180, 90), (128, 128, 128), (250, 250, 5)]

def ppm():
    rows = []
    for y in range(16):
        row = b''
        for x in range(16):
            row += bytes(BLOCKS[(y // 8) * 2 + x // 8])
        rows.append(row)
    return b'P6\n16 16\n255\n' + b''.join(rows)

def cjpeg(args):
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, 'in.ppm')
        open(src, 'wb').write(ppm())
        return subprocess.run(['cjpeg', '-quality', '100', '-sample', '1x1'] + args + [src],
                              check=True, capture_output=True).stdout

def hdr_pixels(width, height):
    """Deterministic RGBE quadruples: runs of equal pixels and stretches of distinct ones."""
    out = []
    for y in range(height):
        for x in range(width):
            if x < 9:    # a run of 9 equal pixels
                out.append((128, 64, 32, 129 + y))
            else:        # distinct values
                out.append(((x * 37 + y * 11) % 256, (x * 13) % 256, (200 + x) % 256, 120 + (x + y) % 20))
    out[width + 2] = (0, 0, 0, 0)   # a zero pixel
    return out

def rle_channel(values):
    """Radiance's adaptive run-length encoding of one component across a row."""
    out, i, n = bytearray(), 0, len(values)
    while i < n:
        run = 1
        while i + run < n and run < 127 and values[i + run] == values[i]:
            run += 1
        if run >= 4:
            out += bytes([128 + run, values[i]]); i += run; continue
        j = i
        while j < n and j - i < 128:
            if j + 3 < n and values[j] == values[j + 1] == values[j + 2] == values[j + 3]:
                break
            j += 1
        out += bytes([j - i]) + bytes(values[i:j]); i = j
    return bytes(out)

def hdr_rle(width, height):
    head = f'#?RADIANCE\n# made by tools/make-image-fixtures.py\nFORMAT=32-bit_rle_rgbe\nEXPOSURE=1.0\n\n-Y {height} +X {width}\n'.encode()
    px, body = hdr_pixels(width, height), b''
    for y in range(height):
        row = px[y * width:(y + 1) * width]
        body += bytes([2, 2, width >> 8, width & 255])
        for c in range(4):
            body += rle_channel([p[c] for p in row])
    return head + body, px

def hdr_flat(width, height):
    head = f'#?RGBE\nFORMAT=32-bit_rle_rgbe\n\n-Y {height} +X {width}\n'.encode()
    px = [((x * 90 + y) % 256, (y * 70) % 256, 17, 130 + x) for y in range(height) for x in range(width)]
    return head + b''.join(bytes(p) for p in px), px

def swift_bytes(name, data):
    return f'    static let {name} = Array(Data(base64Encoded: "{base64.b64encode(data).decode()}")!)\n'

def swift_rgbe(name, px):
    flat = ', '.join(str(v) for p in px for v in p)
    return f'    static let {name}: [UInt8] = [{flat}]\n'

rle, rle_px = hdr_rle(20, 3)
flat, flat_px = hdr_flat(3, 2)
print('import Foundation\n')
print('/// JPEG and Radiance .hdr files with known pixels; regenerate with')
print('/// `python3 tools/make-image-fixtures.py > Tests/ImageIOTests/JPEGHDRFixtures.swift`.')
print('enum JPEGHDRFixtures {')
print('    /// The four flat 8×8 blocks (top left, top right, bottom left, bottom right) of the 16×16 JPEGs, 8-bit sRGB.')
print('    static let blocks: [(UInt8, UInt8, UInt8)] = [' + ', '.join(f'({r}, {g}, {b})' for r, g, b in BLOCKS) + ']')
print(swift_bytes('colourJPEG', cjpeg([])), end='')
print(swift_bytes('greyJPEG', cjpeg(['-grayscale'])), end='')
print('    /// 20×3, run-length encoded scanlines; `rleRGBE` holds its pixels as r g b e bytes.')
print(swift_bytes('rleHDR', rle), end='')
print(swift_rgbe('rleRGBE', rle_px), end='')
print('    /// 3×2, flat scanlines; `flatRGBE` holds its pixels.')
print(swift_bytes('flatHDR', flat), end='')
print(swift_rgbe('flatRGBE', flat_px), end='')
print('}')
