#!/usr/bin/env python3
"""Scaling of cpt over workers and processes on this machine: a scan of a corpus and a replay of
a history, each as 1 process x 1 worker, 1 x 2 and 2 x 1 (two processes on loopback through
scripts/cluster-local.sh), cold (--no-cache). Reports wall time, files/s or commits/s, peak RSS of
the process tree, and the bytes the processes exchanged (from cpt's own count of timely's
network messages), per file and per commit. Medians of --runs; a Markdown table on stdout.

    bench_cluster.py --corpus DIR --history REPO --branch REF [--runs 3] [--cpt BIN]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import REPO, machine_info

MEASURE = Path(__file__).resolve().parent / "measure.py"
CLUSTER = REPO / "scripts" / "cluster-local.sh"
CONFIGS = [(1, 1), (1, 2), (2, 1)]


def run(cpt: str, processes: int, workers: int, args: list[str]) -> dict:
    """One measured run; returns measure.py's figures plus the bytes exchanged and the summary."""
    with tempfile.TemporaryDirectory() as out:
        full = args + ["--out", out, "--overwrite", "-q", "--no-cache"]
        if processes == 1:
            command = [cpt, *full, "-w", str(workers)]
        else:
            command = [str(CLUSTER), str(processes), str(workers), *full]
        with tempfile.NamedTemporaryFile("r", suffix=".err") as err:
            env = dict(os.environ, CPT_BIN=cpt)
            measured = subprocess.run(
                [sys.executable, str(MEASURE), "--stderr", err.name, "--", *command],
                capture_output=True, text=True, env=env, check=True,
            )
            figures = json.loads(measured.stdout)
            stderr = Path(err.name).read_text()
    if figures["rc"] != 0:
        raise SystemExit(f"{command} failed ({figures['rc']}): {stderr[-2000:]}")
    sent = [int(m) for m in re.findall(r"exchanged \d+ bytes with its peers \((\d+) sent", stderr)]
    figures["bytes_exchanged"] = sum(sent)
    summary = re.search(r"cpt (?:scan|replay)[^:]*: (?:(\d+) commits \([^)]*\), )?(\d+) files", stderr)
    figures["commits"] = int(summary.group(1) or 0) if summary else 0
    figures["files"] = int(summary.group(2)) if summary else 0
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cpt", default=os.environ.get("CPT_BIN", str(REPO / "target/release/cpt")))
    parser.add_argument("--corpus", required=True, help="folder to scan")
    parser.add_argument("--history", required=True, help="repository to replay")
    parser.add_argument("--branch", required=True, help="reference whose history is replayed")
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()

    jobs = [
        ("scan", ["scan", options.corpus], "files"),
        ("replay", ["replay", options.history, "--branch", options.branch], "commits"),
    ]
    print(f"Machine: {machine_info()}\n")
    print("| job | processes x workers | median wall | rate | peak RSS (all processes) | bytes exchanged | per item |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, args, unit in jobs:
        items = 0
        for processes, workers in CONFIGS:
            runs = [run(options.cpt, processes, workers, args) for _ in range(options.runs)]
            items = items or runs[0][unit]
            wall = statistics.median(r["wall_s"] for r in runs)
            rss = statistics.median(r["peak_rss_kib"] for r in runs) / 1024
            exchanged = statistics.median(r["bytes_exchanged"] for r in runs)
            per_item = f"{exchanged / items:,.0f} B/{unit[:-1]}" if processes > 1 else "-"
            print(
                f"| {name} | {processes} x {workers} | {wall:.2f} s | {items / wall:,.0f} {unit}/s | {rss:,.0f} MiB "
                f"| {exchanged / 2**20:,.1f} MiB | {per_item} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
