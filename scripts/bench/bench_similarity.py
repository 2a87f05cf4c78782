#!/usr/bin/env python3
"""Side-by-side benchmark of the near-miss similarity join (issue 4): `cpt similarity join` against
faiss-cpu's exact range search (`IndexFlatIP.range_search`) on the same real unit vectors.

    bench_similarity.py [--corpus bench] [--output DIR] [--count 200000] [--peer-count 100000]
                        [--runs 3] [--workers 2] [--agreement-queries 2000]

1. The vectors: the units of a `cpt scan` of datasets/cache/CORPUS (or of an existing output folder,
   --output) exported with `cpt similarity export`: every unit other than file units with a
   non-zero vector, sorted by unit key (a hash, so the first N are a random sample). The first
   --count of them (200,000), and the first --peer-count (100,000) for the figure the peers README
   quotes; a corpus with fewer units is used whole, and the report says so.
2. The joins, round-robin, --runs times each (medians reported): cpt with --size-ratio 0 (every
   pair at θ = 0.9, the pair set faiss computes), cpt with the engine's default size ratio (50 %,
   what a scan joins), and faiss (float32 rows of unit length, radius 0.9), all on --workers threads.
   Each tool reports its own join time (file reading excluded); wall time and peak RSS of the whole
   process come from measure.py.
3. Agreement: the first --agreement-queries vectors against all, by both, pair sets compared; the
   pairs on which they differ are listed with their exact cosine (from the int8 vectors, in
   integers): faiss keeps an inner product strictly above the radius, in float32, cpt a cosine of at
   least θ, exactly.
4. One incremental batch: `cpt similarity delta --changed 10` against all --count vectors (the
   median of 9 batches per run), on --workers threads and on one.

Writes WORK/results.md and WORK/results.json (WORK: --work, $BENCH_WORK or /tmp/cpt-bench-similarity).
Python 3.11+; numpy and faiss-cpu for the peer (scripts/peers-install.sh faiss).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, load_average, machine_info, measure, say  # noqa: E402

HERE = Path(__file__).resolve().parent
DIMS = 128
HEADER = 24


def vector_count(path: Path) -> int:
    """N from a vector file's header."""
    with open(path, "rb") as f:
        return int.from_bytes(f.read(HEADER)[16:24], "little")


def run_json(logs: Path, cmd: list[str], tag: str, timeout: float) -> dict:
    """Runs cmd under measure.py; its own JSON line, with wall_s and peak_rss_kib added."""
    r = measure(logs, cmd, tag, timeout)
    if r["rc"] != 0:
        raise SystemExit(f"{tag} failed (exit {r['rc']}); see {r['stderr']}")
    figures = json.loads(Path(r["stdout"]).read_text().strip().splitlines()[-1])
    figures.update(wall_s=r["wall_s"], cpu_s=r["user_s"] + r["sys_s"], peak_rss_kib=r["peak_rss_kib"])
    return figures


def cpt(ctx, *args: str) -> list[str]:
    return [ctx.cpt, *args]


def faiss(ctx, *args: str) -> list[str]:
    return [ctx.faiss_python, str(HERE / "faiss_join.py"), *args]


def the_vectors(ctx) -> tuple[Path, Path, int, int, str]:
    """The vector files of --count and --peer-count units, their sizes and a note on the corpus."""
    output = ctx.output
    if output is None:
        output = ctx.work / "out"
        if not (output / "_manifest.json").is_file():
            corpus = REPO / "datasets" / "cache" / ctx.corpus
            say(f"scanning {corpus} into {output}")
            subprocess.run(cpt(ctx, "scan", str(corpus), "--out", str(output), "--overwrite", "-q",
                               "-w", str(ctx.workers)), check=True)
    every = ctx.work / "units.vec"
    subprocess.run(cpt(ctx, "similarity", "export", str(output), "--to", str(every)), check=True)
    total = vector_count(every)
    note = f"{total:,} units (not file units, non-zero vector) in {output}"
    count = min(ctx.count, total)
    if count < ctx.count:
        note += f"; fewer than {ctx.count:,}, so all {total:,} are used"
        say(f"NOTE: {note}")
    files = []
    for n in (count, min(ctx.peer_count, total)):
        path = ctx.work / f"units-{n}.vec"
        subprocess.run(cpt(ctx, "similarity", "export", str(output), "--to", str(path), "--limit", str(n)), check=True)
        files.append(path)
    return files[0], files[1], count, min(ctx.peer_count, total), note


def joins(ctx, path: Path, n: int) -> dict[str, list[dict]]:
    """The three joins of `path`, round-robin, --runs times each."""
    w = str(ctx.workers)
    tools = {
        "cpt, size ratio 0": ("cpt-ratio0", cpt(ctx, "similarity", "join", str(path), "-w", w, "--size-ratio", "0")),
        "cpt, size ratio 50 %": ("cpt-ratio50", cpt(ctx, "similarity", "join", str(path), "-w", w)),
        "faiss IndexFlatIP.range_search": ("faiss", faiss(ctx, str(path), "--threads", w, "--radius", "0.9")),
    }
    runs: dict[str, list[dict]] = {name: [] for name in tools}
    say(f"load average before the {n:,}-vector joins: {load_average()}")
    for i in range(ctx.runs):
        for name, (tag, cmd) in tools.items():
            figures = run_json(ctx.logs, cmd, f"join-{n}-{tag}-{i}", ctx.timeout)
            runs[name].append(figures)
            say(f"  run {i + 1}/{ctx.runs} {name:<32} {figures['seconds']:8.2f} s  {figures['pairs']:>13,} pairs  "
                f"{figures['peak_rss_kib'] / 1024:7.0f} MiB")
    return runs


def read_pairs(path: Path) -> set[tuple[int, int]]:
    pairs = set()
    with open(path) as f:
        for line in f:
            a, b = line.split()[:2]
            pairs.add((int(a), int(b)))
    return pairs


def exact_cosines(path: Path, pairs: set[tuple[int, int]]) -> list[tuple[int, int, float]]:
    """The cosine of each pair's int8 vectors, from integer dot products."""
    import numpy as np

    raw = np.fromfile(path, dtype=np.uint8)
    count = vector_count(path)
    vectors = raw[HEADER:HEADER + count * DIMS].view(np.int8).reshape(count, DIMS).astype(np.int64)
    keys = raw[HEADER + count * DIMS:HEADER + count * (DIMS + 8)].view(np.int64)
    row = {int(k): i for i, k in enumerate(keys)}
    out = []
    for a, b in sorted(pairs):
        x, y = vectors[row[a]], vectors[row[b]]
        out.append((a, b, float(x @ y) / float(np.sqrt(float(x @ x) * float(y @ y)))))
    return out


def agreement(ctx, path: Path) -> dict:
    """The pair sets of cpt and faiss for the first --agreement-queries vectors against all."""
    q, w = str(ctx.agreement_queries), str(ctx.workers)
    ours, theirs = ctx.work / "agreement-cpt.txt", ctx.work / "agreement-faiss.txt"
    run_json(ctx.logs, cpt(ctx, "similarity", "join", str(path), "--queries", q, "--size-ratio", "0", "-w", w,
                           "--pairs", str(ours)), "agreement-cpt", ctx.timeout)
    run_json(ctx.logs, faiss(ctx, str(path), "--queries", q, "--threads", w, "--pairs", str(theirs)),
             "agreement-faiss", ctx.timeout)
    a, b = read_pairs(ours), read_pairs(theirs)
    only_cpt, only_faiss = exact_cosines(path, a - b), exact_cosines(path, b - a)
    return {"queries": ctx.agreement_queries, "cpt": len(a), "faiss": len(b), "both": len(a & b),
            "only_cpt": only_cpt[:20], "only_cpt_count": len(only_cpt),
            "only_faiss": only_faiss[:20], "only_faiss_count": len(only_faiss)}


def deltas(ctx, path: Path) -> dict[int, list[dict]]:
    """`cpt similarity delta --changed 10` on --workers threads and on one, --runs times each."""
    runs: dict[int, list[dict]] = {ctx.workers: [], 1: []}
    for i in range(ctx.runs):
        for threads in runs:
            figures = run_json(ctx.logs, cpt(ctx, "similarity", "delta", str(path), "--changed", "10",
                                             "-w", str(threads)), f"delta-w{threads}-{i}", ctx.timeout)
            runs[threads].append(figures)
            say(f"  run {i + 1}/{ctx.runs} delta -w {threads}: {figures['seconds'] * 1000:.2f} ms "
                f"({figures['pair_deltas_median']:.0f} pair deltas)")
    return runs


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def report(ctx, note: str, results: dict) -> str:
    lines = [f"`{ctx.command}`, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; "
             f"{machine_info()}; load average {load_average()} at the end; {note}. Medians of {ctx.runs} runs; "
             f"θ = 0.90; {ctx.workers} threads.", ""]
    lines += ["| vectors | join | join seconds | pairs | faiss / this | process wall | process CPU | peak RSS |",
              "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for n, runs in results["joins"].items():
        peer = median(runs["faiss IndexFlatIP.range_search"], "seconds")
        for name, tool_runs in runs.items():
            seconds = median(tool_runs, "seconds")
            lines.append(f"| {int(n):,} | {name} | {seconds:.2f} | {tool_runs[0]['pairs']:,} | {peer / seconds:.1f}× | "
                         f"{median(tool_runs, 'wall_s'):.2f} s | {median(tool_runs, 'cpu_s'):.2f} s | "
                         f"{median(tool_runs, 'peak_rss_kib') / 1024:.0f} MiB |")
    agree = results["agreement"]
    lines += ["", f"Agreement, the first {agree['queries']:,} vectors against all {results['count']:,}: cpt (size ratio 0) "
              f"{agree['cpt']:,} pairs, faiss {agree['faiss']:,}, both {agree['both']:,}; only cpt "
              f"{agree['only_cpt_count']:,}, only faiss {agree['only_faiss_count']:,}."]
    for side in ("only_cpt", "only_faiss"):
        if agree[side]:
            cosines = ", ".join(f"{c:.9f}" for _, _, c in agree[side])
            lines.append(f"Exact cosines of the pairs {side.replace('_', ' ')} (up to 20): {cosines}.")
    lines += ["", "| one batch of 10 changed vectors against | threads | median (of 9 batches, median of runs) | "
              "pair deltas |", "|---:|---:|---:|---:|"]
    for threads, runs in results["deltas"].items():
        lines.append(f"| {results['count']:,} | {threads} | {median(runs, 'seconds') * 1000:.2f} ms | "
                     f"{median(runs, 'pair_deltas_median'):.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--corpus", default="bench", help="corpus under datasets/cache to scan (default bench)")
    ap.add_argument("--output", type=Path, help="an existing cpt output folder to take the units from instead")
    ap.add_argument("--count", type=int, default=200_000, help="vectors of the main join (default 200,000)")
    ap.add_argument("--peer-count", type=int, default=100_000, help="vectors of the second join (default 100,000)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs of each join (default 3)")
    ap.add_argument("--workers", type=int, default=2, help="threads of every join (default 2)")
    ap.add_argument("--agreement-queries", type=int, default=2000, help="queries of the pair-set comparison")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per run (default 1800)")
    ap.add_argument("--work", type=Path, help="work folder (default $BENCH_WORK or /tmp/cpt-bench-similarity)")
    ap.add_argument("--cpt", default=os.environ.get("CPT_BIN", str(REPO / "target" / "release" / "cpt")))
    ap.add_argument("--faiss-python", default=os.environ.get("FAISS_PYTHON", sys.executable),
                    help="a python with faiss-cpu and numpy (default $FAISS_PYTHON or this one)")
    ctx = ap.parse_args()
    ctx.work = ctx.work or Path(os.environ.get("BENCH_WORK", "/tmp/cpt-bench-similarity"))
    ctx.work.mkdir(parents=True, exist_ok=True)
    ctx.logs = ctx.work / "logs"
    ctx.command = "scripts/bench-similarity.sh " + " ".join(sys.argv[1:])
    main_file, peer_file, count, peer_count, note = the_vectors(ctx)
    results = {"count": count, "note": note, "joins": {}}
    for path, n in ((main_file, count), (peer_file, peer_count)):
        say(f"joins of {n:,} vectors")
        results["joins"][n] = joins(ctx, path, n)
    say("agreement")
    results["agreement"] = agreement(ctx, main_file)
    say("one batch of 10 changed vectors")
    results["deltas"] = deltas(ctx, main_file)
    markdown = report(ctx, note, results)
    (ctx.work / "results.json").write_text(json.dumps(results, indent=1, default=str))
    (ctx.work / "results.md").write_text(markdown)
    say("")
    say(markdown)


if __name__ == "__main__":
    main()
