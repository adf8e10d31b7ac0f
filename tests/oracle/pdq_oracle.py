#!/usr/bin/env python3
"""PDQ oracle: Meta's reference C++ core, as the `pdqhash` PyPI package runs it.

Reads a JSON manifest on stdin: a list of {"path", "width", "height", "channels"}
naming raw row-major 8-bit pixel files (1 = grey, 3 = RGB, 4 = RGBA).
Writes one JSON object per image on stdout, in order:
{"pdq": hex, "quality": int, "dihedral": [8 hex], "dihedral_quality": int}.

The pixels reach the reference as the reference pipeline gives them:
RGB, alpha dropped without compositing, grey expanded to R = G = B.
Hex is the 256-bit number, bit k = 16*i + j, most significant first.
"""
import json
import sys

import numpy as np
import pdqhash


def to_hex(bits):
    # pdqhash returns bits 255..0 (most significant first).
    value = 0
    for b in bits:
        value = (value << 1) | int(b)
    return f"{value:064x}"


def main():
    manifest = json.load(sys.stdin)
    for item in manifest:
        w, h, c = item["width"], item["height"], item["channels"]
        raw = np.fromfile(item["path"], dtype=np.uint8)
        if raw.size != w * h * c:
            raise SystemExit(f"{item['path']}: {raw.size} bytes, expected {w * h * c}")
        px = raw.reshape((h, w, c))
        if c == 1:
            rgb = np.repeat(px, 3, axis=2)
        else:
            rgb = np.ascontiguousarray(px[:, :, :3])
        bits, quality = pdqhash.compute(rgb)
        variants, dquality = pdqhash.compute_dihedral(rgb)
        print(json.dumps({
            "pdq": to_hex(bits),
            "quality": int(quality),
            "dihedral": [to_hex(v) for v in variants],
            "dihedral_quality": int(dquality),
        }), flush=True)


if __name__ == "__main__":
    main()
