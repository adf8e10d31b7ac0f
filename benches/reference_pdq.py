#!/usr/bin/env python3
"""Times the reference PDQ (`pdqhash.compute`, Meta's C++ core) on raw RGB files.

Usage: reference_pdq.py RUNS WIDTHxHEIGHT:PATH ...
Prints one JSON object per file: {"path", "median_ms", "min_ms", "pdq"}.
The timed call is the whole `pdqhash.compute(rgb)`, numpy luma included,
as a caller of the package pays it.
"""
import json
import statistics
import sys
import time

import numpy as np
import pdqhash


def main():
    runs = int(sys.argv[1])
    for spec in sys.argv[2:]:
        dims, path = spec.split(":", 1)
        w, h = (int(x) for x in dims.split("x"))
        rgb = np.fromfile(path, dtype=np.uint8).reshape((h, w, 3))
        bits, _ = pdqhash.compute(rgb)  # warm-up
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            bits, _ = pdqhash.compute(rgb)
            times.append((time.perf_counter() - t) * 1000)
        value = 0
        for b in bits:
            value = (value << 1) | int(b)
        print(json.dumps({
            "path": path,
            "median_ms": statistics.median(times),
            "min_ms": min(times),
            "pdq": f"{value:064x}",
        }), flush=True)


if __name__ == "__main__":
    main()
