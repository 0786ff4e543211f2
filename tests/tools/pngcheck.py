#!/usr/bin/env python3
"""pngcheck.py - is a PNG (a screenshot) more than a blank page?

usage: pngcheck.py FILE
Decodes the PNG with zlib (8-bit RGB or RGBA, non-interlaced: what
Chromium writes), and exits 0 when at least 1% of its pixels are far
from the page's commonest colour and it has more than 8 colours; else
prints why and exits 1.
"""
import struct
import sys
import zlib


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("%s: not a PNG" % path)
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    if depth != 8 or ctype not in (2, 6) or interlace:
        sys.exit("%s: unsupported PNG (depth %d, colour type %d)" % (path, depth, ctype))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    out = []
    i = 0
    for _ in range(h):
        f = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif f == 4:
                line[x] = (line[x] + paeth(a, b, c)) & 255
        out.append(bytes(line))
        prev = line
    return w, h, bpp, out


def main():
    w, h, bpp, rows = pixels(sys.argv[1])
    counts = {}
    for line in rows[::2]:
        for x in range(0, len(line), bpp * 2):
            px = line[x:x + 3]
            counts[px] = counts.get(px, 0) + 1
    total = sum(counts.values())
    bg = max(counts, key=counts.get)
    far = sum(n for px, n in counts.items()
              if sum(abs(px[k] - bg[k]) for k in range(3)) > 96)
    print("%dx%d, %d colours, %.1f%% of pixels far from the background" %
          (w, h, len(counts), 100.0 * far / total))
    if len(counts) <= 8 or far * 100 < total:
        print("the page is blank")
        sys.exit(1)


if __name__ == "__main__":
    main()
