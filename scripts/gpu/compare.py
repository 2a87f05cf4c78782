#!/usr/bin/env python3
"""Compares two pair files of `cpt similarity join --pairs` ("a b score" lines). With --keys-of
FILE.vec --first N, only the pairs that touch one of the first N entries' keys count (the CPU
yardstick then joins just those N rows as queries). Exits 1 on any difference, printing a few."""

import argparse
import sys

import numpy as np

DIMS = 128
HEADER = 24


def first_keys(path, first):
    raw = np.fromfile(path, dtype=np.uint8)
    count = int(raw[16:24].view(np.uint64)[0])
    keys_at = HEADER + count * DIMS
    return set(raw[keys_at : keys_at + 8 * count].view(np.int64)[:first].tolist())


def pairs(path, keep):
    out = set()
    with open(path) as lines:
        for line in lines:
            a, b, score = line.split()
            if keep is None or int(a) in keep or int(b) in keep:
                out.add((int(a), int(b), int(score)))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("expected")
    parser.add_argument("actual")
    parser.add_argument("--keys-of")
    parser.add_argument("--first", type=int)
    args = parser.parse_args()
    keep = first_keys(args.keys_of, args.first) if args.keys_of else None
    expected, actual = pairs(args.expected, keep), pairs(args.actual, keep)
    missing, extra = sorted(expected - actual), sorted(actual - expected)
    print(f"{len(expected)} pairs expected, {len(actual)} found, {len(missing)} missing, {len(extra)} extra")
    for label, rows in (("missing", missing), ("extra", extra)):
        for row in rows[:5]:
            print(f"  {label}: {row}")
    sys.exit(1 if missing or extra else 0)


if __name__ == "__main__":
    main()
