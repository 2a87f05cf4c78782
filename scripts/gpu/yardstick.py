#!/usr/bin/env python3
"""The torch yardstick of the GPU join: the self-join of a cpt vector file (CPTVEC01, see
operators/src/similarity/vector_file.rs) as fp16 GEMM of unit-normalised vectors, then the
threshold, per block of 8,192 query rows against all rows (each pair seen from both sides). It is what one writes
with torch in a few lines; it is not exact (fp16 rounding), so only its time and an approximate
pair count are reported. Prints one JSON line: n, pairs, seconds, device."""

import argparse
import json
import time

import numpy as np
import torch

DIMS = 128
HEADER = 24


def read_vectors(path):
    raw = np.fromfile(path, dtype=np.uint8)
    if raw[:8].tobytes() != b"CPTVEC01":
        raise SystemExit(f"{path}: not a cpt vector file")
    dims = int(raw[8:12].view(np.uint32)[0])
    count = int(raw[16:24].view(np.uint64)[0])
    if dims != DIMS:
        raise SystemExit(f"{path}: {dims} dimensions, expected {DIMS}")
    return raw[HEADER : HEADER + count * DIMS].view(np.int8).reshape(count, DIMS)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file")
    parser.add_argument("--similarity", type=int, default=90, help="threshold in percent")
    parser.add_argument("--block", type=int, default=8192, help="query rows per GEMM")
    args = parser.parse_args()
    vectors = read_vectors(args.file)
    device = torch.device("cuda")
    theta = args.similarity / 100.0
    data = torch.from_numpy(vectors.copy()).to(device).float()
    units = torch.nn.functional.normalize(data, dim=1).half()
    torch.cuda.synchronize()
    start = time.perf_counter()
    passing = 0
    n = units.shape[0]
    for first in range(0, n, args.block):
        cosines = units[first : first + args.block] @ units.T
        passing += int((cosines >= theta).sum().item())
    torch.cuda.synchronize()
    # Every non-zero vector passes with itself; each other pair is counted from both sides.
    pairs = (passing - int((data.abs().sum(dim=1) > 0).sum().item())) // 2
    seconds = time.perf_counter() - start
    print(json.dumps({"n": n, "pairs": pairs, "seconds": round(seconds, 4), "device": torch.cuda.get_device_name()}))


if __name__ == "__main__":
    main()
