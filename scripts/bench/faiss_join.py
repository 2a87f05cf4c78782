#!/usr/bin/env python3
"""The peer of `cpt similarity join`: faiss-cpu's exact range search over the same vector file.

    faiss_join.py FILE.vec [--threads 2] [--radius 0.9] [--queries N] [--pairs OUT] [--chunk 8192]

Reads a `CPTVEC01` vector file (24-byte header, N×128 int8, N i64 keys, N u32 sizes), turns the
int8 vectors into float32 rows of unit length, and runs `IndexFlatIP.range_search` of the first N
rows (all by default) against every row, query chunk by query chunk so that the results of one
chunk at a time are held. faiss keeps a result when its inner product is strictly above the
radius. A pair i < j is counted once (each pair comes back from both of its rows, and every row
finds itself). Prints one JSON line like cpt's: n, queries, pairs, seconds (index build and search,
not the file read), device, threads. --pairs writes the pairs as `a b` key lines, sorted.

Needs numpy and faiss-cpu (scripts/peers-install.sh faiss).
"""

from __future__ import annotations

import argparse
import json
import time

import faiss
import numpy as np

DIMS = 128


def read_vectors(path: str) -> tuple[np.ndarray, np.ndarray]:
    """The int8 vectors (N×128) and the i64 keys of a vector file."""
    raw = np.fromfile(path, dtype=np.uint8)
    if raw[:8].tobytes() != b"CPTVEC01":
        raise SystemExit(f"{path} is not a cpt vector file")
    dims = int(raw[8:12].view(np.uint32)[0])
    count = int(raw[16:24].view(np.uint64)[0])
    if dims != DIMS or raw.size != 24 + count * (DIMS + 12):
        raise SystemExit(f"{path}: {dims} dimensions and {count} vectors do not match its {raw.size} bytes")
    vectors = raw[24:24 + count * DIMS].view(np.int8).reshape(count, DIMS)
    keys = raw[24 + count * DIMS:24 + count * (DIMS + 8)].view(np.int64)
    return vectors, keys


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """The vectors as float32 rows of length 1 (cosine = inner product)."""
    rows = vectors.astype(np.float32)
    faiss.normalize_L2(rows)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--radius", type=float, default=0.9)
    ap.add_argument("--queries", type=int, help="only the first N rows as queries")
    ap.add_argument("--pairs", help="write the pairs' keys, sorted, one `a b` line each")
    ap.add_argument("--chunk", type=int, default=8192, help="queries per range_search call")
    args = ap.parse_args()
    faiss.omp_set_num_threads(args.threads)
    vectors, keys = read_vectors(args.file)
    rows = unit_rows(vectors)
    queries = len(rows) if args.queries is None else min(args.queries, len(rows))
    found: list[np.ndarray] = []
    pairs = 0
    started = time.perf_counter()
    index = faiss.IndexFlatIP(DIMS)
    index.add(rows)
    for first in range(0, queries, args.chunk):
        last = min(first + args.chunk, queries)
        lims, _, labels = index.range_search(rows[first:last], args.radius)
        query_of = np.repeat(np.arange(first, last), np.diff(lims).astype(np.int64))
        # Each unordered pair once, from its smaller row (a non-query row is above every query).
        once = labels > query_of
        pairs += int(once.sum())
        if args.pairs:
            found.append(np.stack([query_of[once], labels[once]], axis=1))
    seconds = time.perf_counter() - started
    if args.pairs:
        both = np.concatenate(found) if found else np.zeros((0, 2), dtype=np.int64)
        a, b = keys[both[:, 0]], keys[both[:, 1]]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        order = np.lexsort((hi, lo))
        np.savetxt(args.pairs, np.stack([lo[order], hi[order]], axis=1), fmt="%d")
    print(json.dumps({"n": len(rows), "queries": queries, "pairs": pairs, "seconds": seconds,
                      "device": "cpu", "threads": args.threads, "tool": f"faiss-cpu {faiss.__version__}",
                      "radius": args.radius}))


if __name__ == "__main__":
    main()
