#!/usr/bin/env python3
"""zscan.py DIR NEEDLE... - look for personal data in every file under DIR.

Each file is searched as it is, and so is every zlib (RFC 1950) or gzip
stream that inflates from any offset in it: a stick's files must not
give away a name, a phone or an ID number to someone who finds the
stick and tries.  Prints what it found and exits 1 when anything was;
prints how many streams it inflated (so a test can tell that the scan
does look inside).
"""
import os
import sys
import zlib


def streams(data):
    for i in range(len(data) - 1):
        b0, b1 = data[i], data[i + 1]
        if (b0 & 0x0F) == 8 and (b0 << 8 | b1) % 31 == 0:
            wbits = 15
        elif b0 == 0x1F and b1 == 0x8B:
            wbits = 31
        else:
            continue
        try:
            d = zlib.decompressobj(wbits)
            out = d.decompress(data[i:], 1 << 26)
        except zlib.error:
            continue
        if out:
            yield out


def main():
    top, needles = sys.argv[1], [n.encode() for n in sys.argv[2:]]
    found, inflated, files = [], 0, 0
    for root, _, names in os.walk(top):
        for name in sorted(names):
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                data = f.read()
            files += 1
            views = [data]
            for out in streams(data):
                inflated += 1
                views.append(out)
            for v in views:
                for n in needles:
                    if n in v:
                        found.append("%s: %s" % (path, n.decode(errors="replace")))
    print("files %d, streams inflated %d" % (files, inflated))
    for f in sorted(set(found)):
        print("FOUND", f)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
