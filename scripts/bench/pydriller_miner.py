#!/usr/bin/env python3
"""What a repository miner does with PyDriller: walk a branch's history oldest first and read the
new content of every modified file (`source_code`) of every commit.

    pydriller_miner.py REPO [--branch main] [--max-commits N] [--progress-every K]

Run with the Python of a virtual environment holding PyDriller (scripts/peers-install.sh pydriller).
Every K commits, and at the end, prints one JSON line on stdout:
  {"commits": ..., "entries": ..., "chars": ..., "elapsed_s": ..., "done": bool}
(entries: modified files seen; chars: characters of the decoded new contents; done: the walk
reached the end of the history or --max-commits). A run killed by a timeout leaves its last
progress line, from which bench_replay.py extrapolates.
"""

from __future__ import annotations

import argparse
import json
import time

from pydriller import Repository


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repo")
    ap.add_argument("--branch", default="main")
    ap.add_argument("--max-commits", type=int, default=0, help="stop after this many commits (0: all)")
    ap.add_argument("--progress-every", type=int, default=100)
    args = ap.parse_args()

    commits = entries = chars = 0
    t0 = time.monotonic()

    def report(done: bool) -> None:
        print(json.dumps({"commits": commits, "entries": entries, "chars": chars,
                          "elapsed_s": round(time.monotonic() - t0, 3), "done": done}), flush=True)

    for commit in Repository(args.repo, only_in_branch=args.branch).traverse_commits():
        for modified in commit.modified_files:
            entries += 1
            code = modified.source_code
            if code is not None:
                chars += len(code)
        commits += 1
        if commits % args.progress_every == 0:
            report(False)
        if args.max_commits and commits >= args.max_commits:
            break
    report(True)


if __name__ == "__main__":
    main()
