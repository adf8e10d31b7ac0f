#!/usr/bin/env python3
"""Inputs of the browser benchmark, written once into OUT (default
target/bench-browser/): a 12-megapixel JPEG (4000x3000, quality 90) of a
generated picture (gradients, shapes, noise), and 1,000,000 random
`pdq <64 hex>` lines for `prescan list build`. Deterministic; files already
present are kept."""
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

out = sys.argv[1] if len(sys.argv) > 1 else "target/bench-browser"
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20261129)

jpeg = os.path.join(out, "photo-12mp.jpg")
if not os.path.exists(jpeg):
    w, h = 4000, 3000
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([
        120 + 90 * np.sin(x / 517.0) * np.cos(y / 389.0),
        100 + 80 * (x / w) + 40 * np.sin((x + y) / 233.0),
        140 - 70 * (y / h) + 30 * np.cos(x / 97.0),
    ], axis=-1)
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(400):
        cx, cy = rng.integers(0, w), rng.integers(0, h)
        r = int(rng.integers(20, 400))
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        box = (cx - r, cy - r // 2, cx + r, cy + r // 2 + int(rng.integers(0, r)))
        kind = rng.integers(0, 3)
        if kind == 0:
            draw.ellipse(box, fill=color)
        elif kind == 1:
            draw.rectangle(box, fill=color)
        else:
            draw.line(box, fill=color, width=int(rng.integers(2, 30)))
    img = img.filter(ImageFilter.GaussianBlur(1.2))
    arr = np.asarray(img).astype(np.int16)
    arr += rng.normal(0, 11, arr.shape).astype(np.int16)  # sensor-like noise
    Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB").save(jpeg, "JPEG", quality=90)

hashes = os.path.join(out, "pdq-1m.txt")
if not os.path.exists(hashes):
    n = 1_000_000
    raw = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    # No all-zero or all-one hashes (placeholders), and no duplicates.
    raw[:, 0] |= 0x01
    raw[:, 1] &= 0xFE
    assert len(np.unique(raw, axis=0)) == n, "duplicate random hashes"
    tmp = hashes + ".tmp"
    with open(tmp, "w") as f:
        hexes = raw.tobytes().hex()
        f.writelines(f"pdq {hexes[i * 64:(i + 1) * 64]}\n" for i in range(n))
    os.replace(tmp, hashes)
