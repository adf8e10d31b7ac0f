#!/usr/bin/env python3
"""vPDQ oracle: Meta's vPDQ (the `vpdq` PyPI package, its C++ built against
FFmpeg's libraries) and python-threatexchange's vPDQ matcher (the
`threatexchange` package, as HMA runs it).

  vpdq_oracle.py hash VIDEO SECONDS_PER_HASH
      vpdq.computeHash: one `frameNumber,quality,hash,timestamp` line a frame
      (vPDQ's text format, the timestamp to 3 decimals).
  vpdq_oracle.py compare QUERY.txt COMPARED.txt
      match_VPDQ_hash_brute at quality 50 and distance 31, on two files in
      that format: `query_percent compared_percent matched`, the percentages
      as Python's repr, matched by the signal type's rule (query >= 80 and
      compared >= 0).
"""
import sys

import vpdq
from threatexchange.extensions.vpdq.vpdq_brute_matcher import match_VPDQ_hash_brute
from threatexchange.extensions.vpdq.vpdq_util import (
    VPDQ_DISTANCE_THRESHOLD,
    VPDQ_INDEX_MATCH_THRESHOLD_PERCENT,
    VPDQ_QUALITY_THRESHOLD,
    VPDQ_QUERY_MATCH_THRESHOLD_PERCENT,
    VpdqCompactFeature,
)


def read(path):
    out = []
    for line in open(path):
        if line.strip():
            _frame, quality, hex_, ts = line.strip().split(",")[:4]
            out.append(VpdqCompactFeature(hex_, int(quality), float(ts)))
    return out


def main():
    if sys.argv[1] == "hash":
        for f in vpdq.computeHash(sys.argv[2], seconds_per_hash=float(sys.argv[3])):
            print(f"{f.frame_number},{f.quality},{f.hex},{f.timestamp:.3f}")
    elif sys.argv[1] == "compare":
        r = match_VPDQ_hash_brute(read(sys.argv[2]), read(sys.argv[3]), VPDQ_QUALITY_THRESHOLD, VPDQ_DISTANCE_THRESHOLD)
        matched = (
            r.query_match_percent >= VPDQ_QUERY_MATCH_THRESHOLD_PERCENT
            and r.compared_match_percent >= VPDQ_INDEX_MATCH_THRESHOLD_PERCENT
        )
        print(f"{r.query_match_percent!r} {r.compared_match_percent!r} {matched}")
    else:
        sys.exit(f"unknown command {sys.argv[1]}")


if __name__ == "__main__":
    main()
