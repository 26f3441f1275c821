#!/usr/bin/env python3
"""Writes the seed inputs of the JPEG and Radiance HDR fuzz targets (Fuzz/Corpus/jpeg, hdr).

JPEG seeds come from libjpeg-turbo's `cjpeg` (Debian's libjpeg-turbo-progs): baseline RGB,
greyscale and progressive. HDR seeds are written here: flat RGBE scanlines, the new-style
run-length encoding, and a -Y +X (flipped) orientation header.
    tools/make-fuzz-seeds.py
"""
import os, subprocess, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fuzz", "Corpus")


def ppm(width, height, gray=False):
    pixels = bytearray()
    for y in range(height):
        for x in range(width):
            r, g, b = 255 * x // max(width - 1, 1), 255 * y // max(height - 1, 1), (x * y * 37) % 256
            pixels += bytes([r]) if gray else bytes([r, g, b])
    magic = b"P5" if gray else b"P6"
    return magic + b"\n%d %d\n255\n" % (width, height) + bytes(pixels)


def jpeg(name, data, *options):
    out = subprocess.run(["cjpeg", *options], input=data, capture_output=True, check=True).stdout
    open(os.path.join(root, "jpeg", name), "wb").write(out)


def rgbe(r, g, b):
    import math
    v = max(r, g, b)
    if v < 1e-32:
        return bytes(4)
    m, e = math.frexp(v)
    scale = m * 256.0 / v
    return bytes([int(r * scale), int(g * scale), int(b * scale), e + 128])


def hdr(name, width, height, rle, orientation="-Y"):
    out = bytearray(b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\nEXPOSURE=1.0\n\n")
    out += ("%s %d +X %d\n" % (orientation, height, width)).encode()
    for y in range(height):
        row = [rgbe(0.1 + x / width, y / height, 2.5 if x == y else 0.25) for x in range(width)]
        if not rle:
            out += b"".join(row)
            continue
        out += bytes([2, 2, width >> 8, width & 255])
        for c in range(4):
            channel = bytes(p[c] for p in row)
            i = 0
            while i < width:  # a run where values repeat, literals otherwise
                run = 1
                while i + run < width and run < 127 and channel[i + run] == channel[i]:
                    run += 1
                if run >= 3:
                    out += bytes([128 + run, channel[i]])
                    i += run
                else:
                    n = min(128, width - i)
                    out += bytes([n]) + channel[i:i + n]
                    i += n
    open(os.path.join(root, "hdr", name), "wb").write(out)


os.makedirs(os.path.join(root, "jpeg"), exist_ok=True)
os.makedirs(os.path.join(root, "hdr"), exist_ok=True)
jpeg("rgb-8x6.jpg", ppm(8, 6), "-quality", "90")
jpeg("gray-5x7.jpg", ppm(5, 7, gray=True), "-quality", "80", "-grayscale")
jpeg("progressive-17x9.jpg", ppm(17, 9), "-progressive")
hdr("flat-6x5.hdr", 6, 5, rle=False)
hdr("rle-12x3.hdr", 12, 3, rle=True)
hdr("flipped-4x4.hdr", 4, 4, rle=False, orientation="+Y")
print("wrote", sorted(os.listdir(os.path.join(root, "jpeg"))), sorted(os.listdir(os.path.join(root, "hdr"))))
