#!/usr/bin/env python3
"""The table of scripts/gpu-check.sh: one row per recorded run (JSON lines with a "label"), effective
TOPS for full self-joins (2·128·N(N−1)/2 int8 operations over the time), and the bars of the issue
checked on the runs of this device: 1M self-join ≥ 4× faster than the torch yardstick and < 1.5 s
(the latter set for an H200), 10,000 changed vectors against 1M resident < 20 ms."""

import json
import sys

DIMS = 128


def tops(row):
    n = row.get("n")
    if not n or row.get("queries") not in (None, n) or row["label"].startswith("delta"):
        return ""
    return f"{2 * DIMS * n * (n - 1) / 2 / row['seconds'] / 1e12:.1f}"


def main():
    rows = [json.loads(line) for line in open(sys.argv[1])]
    by_label = {row["label"]: row for row in rows}
    print("| run | device | N | queries | pairs | seconds | effective TOPS |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['label']} | {row.get('device', '')} | {row.get('n', '')} | {row.get('queries', '')} "
            f"| {row.get('pairs', '')} | {row['seconds']:.4f} | {tops(row)} |"
        )
    print()
    gpu, torch, delta = (by_label.get(k) for k in ("random-1m-tensor", "random-1m-torch", "delta-10k-of-1m-tensor"))
    if gpu and torch:
        speedup = torch["seconds"] / gpu["seconds"]
        print(f"- 1M self-join: {gpu['seconds']:.3f} s, torch yardstick {torch['seconds']:.3f} s: {speedup:.1f}× "
              f"({'PASS' if speedup >= 4 else 'FAIL'} ≥ 4×; {'PASS' if gpu['seconds'] < 1.5 else 'FAIL'} < 1.5 s, "
              f"a bar set for an H200: this is {torch.get('device', '?')})")
    if delta:
        ms = delta["seconds"] * 1000
        print(f"- 10,000 changed vs 1M resident: {ms:.1f} ms ({'PASS' if ms < 20 else 'FAIL'} < 20 ms)")


if __name__ == "__main__":
    main()
