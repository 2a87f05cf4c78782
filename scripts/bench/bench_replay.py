#!/usr/bin/env python3
"""Side-by-side replay benchmark: cpt replay vs two git floors and PyDriller on one pinned history.

Normally started through scripts/bench-replay.sh, which builds the history and installs PyDriller
first. Steps:

 1. Build or verify the history (datasets/history.py; default corpus `history`) and count, with
    git, its commits, changed-file entries and the bytes of the blobs they change.
 2. Run each tool N times, round-robin, under scripts/bench/measure.py (wall time; peak RSS summed
    over the process tree, sampled every 20 ms), every git and PyDriller process without the user's
    git configuration. Each tool's own count of what it went through is checked after its first run.
 3. Print a Markdown table (median wall, commits/s, changed-file entries/s, MB/s of changed blobs,
    peak RSS, wall ratios vs the two floors and PyDriller) and write it, with the raw runs as JSON,
    to the results files.

The tools (REPO = the history's bare repository, branch main, linear):
  git-log    git log --raw --no-renames --reverse main          (floor: list every change)
  cat-file   git log --raw --no-renames --format= --no-abbrev --reverse main | awk (new blob ids of
             A/M entries) | git cat-file --batch | wc -c         (floor: read every changed blob)
  pydriller  PyDriller 2.12 walking main oldest first and reading every modified file's
             source_code (pydriller_miner.py). If a run passes --pydriller-timeout, the runs are
             made on the prefix of commits that run reached, and the full wall time is
             extrapolated linearly by changed-file entries (clearly labelled in the table).
  cpt        $CPT_BIN replay REPO --out OUT --overwrite -q -w W, with --no-cache when the binary
             has it (every run cold)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from common import (HERE, PEERS, REPO, Tool, failure_note, fmt_bytes, machine_info, measure, median_stats,
                    run_round_robin, say, show_command, tool_version)

sys.path.insert(0, str(REPO / "datasets"))
import fetch  # noqa: E402  (datasets/fetch.py: the pinned corpora)
import history  # noqa: E402  (datasets/history.py: the history built from them, and its counts)

ALL_TOOLS = ["git-log", "cat-file", "pydriller", "cpt"]
PYDRILLER_VERSION = "2.12"


class ReplayTool(Tool):
    """A tool run over the history, with git's configuration kept out of the way."""

    def measure(self, cmd: list[str], tag: str, timeout: float | None = None) -> dict:
        return measure(self.ctx.work / "logs", cmd, tag, timeout or self.ctx.args.timeout, env=history.GIT_ENV)

    def expected(self) -> tuple[int, str]:
        return len(self.ctx.stats.commits), "commits"

    def run_once(self, i):
        return self.measure(self.cmd(), f"{self.name}-{i}")

    def cmd(self) -> list[str]:
        raise NotImplementedError


class GitLog(ReplayTool):
    name, label = "git-log", "git log --raw (floor: list the changes)"

    def version(self):
        return tool_version(["git", "--version"])

    def cmd(self):
        return ["git", "--git-dir", str(self.ctx.repo), "log", "--raw", "--no-renames", "--reverse", history.BRANCH]

    def check_counts(self):
        commits = entries = 0
        with open(self.runs[0]["stdout"], "rb") as f:
            for line in f:
                commits += line.startswith(b"commit ")
                entries += line.startswith(b":")
        self.seen = commits
        want = len(self.ctx.stats.entries())
        self.count_note = (f"{commits:,} commits, {entries:,} changed-file entries"
                           + ("" if entries == want else f" (expected {want:,})"))


class CatFile(ReplayTool):
    name, label = "cat-file", "git cat-file --batch (floor: read every changed blob)"

    def version(self):
        return tool_version(["git", "--version"])

    def cmd(self):
        pipeline = ('git --git-dir "$0" log --raw --no-renames --format= --no-abbrev --reverse "$1" '
                    '| awk \'$5 != "D" {print $4}\' | git --git-dir "$0" cat-file --batch | wc -c')
        return ["sh", "-c", pipeline, str(self.ctx.repo), history.BRANCH]

    def expected(self):
        # --batch prints "<id> blob <size>\n<content>\n" for each object asked for.
        written = [e for e in self.ctx.stats.entries() if e.status != "D"]
        return sum(len(f"{e.blob} blob {e.size}\n") + e.size + 1 for e in written), "bytes of --batch output"

    def check_counts(self):
        text = Path(self.runs[0]["stdout"]).read_text().strip()
        self.seen = int(text) if text.isdigit() else None
        written = sum(1 for e in self.ctx.stats.entries() if e.status != "D")
        self.count_note = f"{written:,} blobs asked for (A and M entries), {self.seen or 0:,} bytes of output"


class PyDriller(ReplayTool):
    name = "pydriller"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.python = PEERS / f"pydriller-{PYDRILLER_VERSION}" / "bin" / "python"
        self.prefix: int | None = None  # commits per run once a full run passed the timeout
        self.timed_out_run: dict | None = None

    @property
    def label(self):
        base = f"PyDriller {PYDRILLER_VERSION} (modified files + source_code)"
        if self.prefix is None:
            return base
        return f"{base}, first {self.prefix:,} of {len(self.ctx.stats.commits):,} commits, extrapolated"

    def available(self):
        if not self.python.exists():
            return "PyDriller not installed (scripts/peers-install.sh pydriller)"
        return None

    def version(self):
        return "PyDriller " + tool_version([str(self.python), "-c", "import importlib.metadata as m; "
                                            "print(m.version('pydriller'))"])

    def cmd(self):
        c = [str(self.python), str(HERE / "pydriller_miner.py"), str(self.ctx.repo), "--branch", history.BRANCH,
             "--progress-every", "100"]
        return c + (["--max-commits", str(self.prefix)] if self.prefix else [])

    def run_once(self, i):
        r = self.measure(self.cmd(), f"{self.name}-{i}", self.ctx.args.pydriller_timeout)
        if r["timed_out"] and self.prefix is None:
            # Too slow for the whole history: from now on, time the prefix this run reached.
            reached = last_progress(r["stdout"])
            if not reached or not reached["commits"]:
                return r
            self.prefix, self.timed_out_run = reached["commits"], r
            say(f"  pydriller passed {self.ctx.args.pydriller_timeout:.0f} s at commit {self.prefix:,}; "
                f"timing the first {self.prefix:,} commits from now on")
            r = self.measure(self.cmd(), f"{self.name}-{i}-prefix", self.ctx.args.pydriller_timeout)
            r["full_run"] = self.timed_out_run
        r["progress"] = last_progress(r["stdout"])
        r["prefix"] = self.prefix
        return r

    def expected(self):
        return (self.prefix or len(self.ctx.stats.commits)), "commits"

    def check_counts(self):
        done = self.runs[0].get("progress") or {}
        self.seen = done.get("commits")
        want = len(self.ctx.stats.entries(self.expected()[0]))
        entries = done.get("entries", 0)
        self.count_note = (f"{done.get('commits', 0):,} commits, {entries:,} modified files"
                           + ("" if entries == want else f" (git log --no-renames lists {want:,} there: PyDriller "
                                                         "reports a deletion and an addition it pairs as one rename)")
                           + f", {done.get('chars', 0):,} characters of source_code")
        if self.timed_out_run:
            self.count_note += (f"; a full run passed the {self.ctx.args.pydriller_timeout:.0f} s limit at "
                                f"commit {self.prefix:,}")


def last_progress(stdout: str) -> dict | None:
    """The last JSON progress line pydriller_miner.py printed."""
    last = None
    with open(stdout, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                last = json.loads(line)
            except json.JSONDecodeError:
                continue
    return last


class Cpt(ReplayTool):
    name, label = "cpt", "cpt replay"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.bin = Path(ctx.args.cpt)
        self.out = ctx.work / "out" / "cpt"
        self.no_cache = False

    def available(self):
        if not os.access(self.bin, os.X_OK):
            return f"{self.bin} not found (build it: cargo build --release)"
        helptext = subprocess.run([str(self.bin), "replay", "--help"], capture_output=True, text=True)
        if helptext.returncode != 0:
            return f"{self.bin} has no replay subcommand"
        self.no_cache = "--no-cache" in helptext.stdout
        return None

    def version(self):
        return tool_version([str(self.bin), "--version"])

    def cmd(self):
        c = [str(self.bin), "replay", str(self.ctx.repo), "--out", str(self.out), "--overwrite", "-q",
             "-w", str(self.ctx.args.workers)]
        return c + (["--no-cache"] if self.no_cache else []) + shlex.split(self.ctx.args.cpt_args)

    def check_counts(self):
        try:
            manifest = json.loads((self.out / "_manifest.json").read_text())
        except (OSError, json.JSONDecodeError):
            manifest = {}
        # One row per replayed commit in the `commits` table, counted from the manifest's parts.
        self.seen = sum(p.get("rows", 0) for p in (manifest.get("tables") or {}).get("commits", [])) or None
        lines = re.findall(r"cpt replay: (.*)", Path(self.runs[0]["stderr"]).read_text(errors="replace"))
        self.count_note = (lines[-1] if lines else "no summary line on stderr") + (
            f"; manifest: durable_time {manifest.get('durable_time')}, complete {manifest.get('complete')}") + (
            "" if self.no_cache else " (the binary has no --no-cache: runs as is)")


TOOL_CLASSES = {"git-log": GitLog, "cat-file": CatFile, "pydriller": PyDriller, "cpt": Cpt}


# --------------------------------------------------------------------------- report

def full_wall(ctx, t: Tool, wall: float) -> float:
    """The wall time for the whole history: measured, or extrapolated from a prefix by entries."""
    if isinstance(t, PyDriller) and t.prefix:
        return wall * len(ctx.stats.entries()) / len(ctx.stats.entries(t.prefix))
    return wall


def render(ctx, tools: list[Tool], skipped: dict[str, str]) -> str:
    st = ctx.stats
    n_commits, n_entries, n_bytes = len(st.commits), len(st.entries()), st.blob_bytes()
    stats = {t.name: s for t in tools if (s := median_stats(t.runs))}
    refs = {name: full_wall(ctx, t, stats[name]["wall"]) for t in tools if (name := t.name) in stats}
    n_source = sum(1 for e in st.entries() if history.is_source(e.path))
    lines = [
        f"History `{ctx.args.corpus}` (datasets/history.py): {n_commits:,} commits, {n_entries:,} changed-file "
        f"entries ({n_source:,} of source files), {n_bytes / 1e6:.1f} MB of changed blobs, {st.tip_files:,} files "
        f"at the tip; {machine_info()}; {ctx.started:%Y-%m-%d %H:%M} UTC.",
        "",
        "| tool | runs | median wall (min–max) | commits/s | entries/s | MB/s | peak RSS (tree) "
        "| × git log | × cat-file | × PyDriller | seen |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in tools:
        count, _unit = t.expected()
        seen_s = "?" if t.seen is None else (f"{t.seen:,}" + ("" if t.seen == count else " ⚠"))
        s = stats.get(t.name)
        if not s:
            peak = fmt_bytes(t.runs[-1]["peak_rss_kib"] * 1024) if t.runs else ""
            lines.append(f"| {t.label} | 0/{len(t.runs)} | {failure_note(t.runs)} | | | | {peak} | | | | {seen_s} |")
            continue
        # Rates are what was measured (on the prefix, for an extrapolated PyDriller).
        done = t.prefix if isinstance(t, PyDriller) and t.prefix else n_commits
        entries, blob_bytes = len(st.entries(done)), st.blob_bytes(done)
        wall = full_wall(ctx, t, s["wall"])
        wall_s = f"{s['wall']:.2f} s ({s['min']:.2f}–{s['max']:.2f})"
        if wall != s["wall"]:
            wall_s = f"≈ {wall:.0f} s (extrapolated; {wall_s} for {entries:,} entries)"
        ratios = [f"{wall / refs[r]:.2f}×" if r in refs else "n/a" for r in ("git-log", "cat-file", "pydriller")]
        lines.append(
            f"| {t.label} | {s['n']} | {wall_s} | {done / s['wall']:,.0f} | {entries / s['wall']:,.0f} | "
            f"{blob_bytes / 1e6 / s['wall']:.1f} | {fmt_bytes(s['rss'])} | {' | '.join(ratios)} | {seen_s} |")
    for name, why in skipped.items():
        lines.append(f"| {name} | – | not run: {why} | | | | | | | | |")
    lines += ["", "What each tool reported (first run):", ""]
    for t in tools:
        lines.append(f"- **{t.label}** — `{t.version()}`: {t.summary()}")
    lines += ["", "Commands (REPO = the history's bare repository, WORK = the work folder):", ""]
    names = {str(ctx.repo): "REPO", str(ctx.work): "WORK"}
    for t in tools:
        if t.runs:
            lines.append(f"- {t.name}: `{show_command(t.runs[0]['cmd'], names)}`")
    lines += ["", "Wall: median of the runs; peak RSS: median over runs of the highest summed RSS of the tool's "
              "process tree (sampled every 20 ms); entries = changed-file entries (added, modified, deleted "
              "files of each commit); MB = 10^6 bytes of the blobs of added and modified files; × columns: "
              "wall / that tool's wall over the whole history. Seen: each tool's own count (git log: commits; "
              "cat-file: bytes it printed; PyDriller: commits walked; cpt: rows of its `commits` table); "
              "⚠ marks a count that differs from the history's."]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main

class Ctx:
    pass


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--corpus", default="history", help="history corpus of datasets/corpora.json (default history)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per tool (default 3)")
    ap.add_argument("--tools", default=",".join(ALL_TOOLS), help=f"comma-separated subset of {','.join(ALL_TOOLS)}")
    ap.add_argument("--work", type=Path, help="work folder (default $BENCH_WORK or /tmp/cpt-bench-replay-<corpus>)")
    ap.add_argument("--cpt", default=os.environ.get("CPT_BIN", str(REPO / "target" / "release" / "cpt")))
    ap.add_argument("--cpt-args", default="", help="extra arguments for cpt replay")
    ap.add_argument("--workers", type=int, default=2, help="cpt -w (default 2)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per run (default 1800)")
    ap.add_argument("--pydriller-timeout", type=float, default=900,
                    help="seconds a PyDriller run may take before it is timed on a prefix instead (default 900)")
    ap.add_argument("--results", type=Path, help="Markdown results file (default WORK/results.md; JSON beside it)")
    args = ap.parse_args(argv)

    ctx = Ctx()
    ctx.args = args
    ctx.started = dt.datetime.now(dt.timezone.utc)
    ctx.work = (args.work or Path(os.environ.get("BENCH_WORK") or f"/tmp/cpt-bench-replay-{args.corpus}")).resolve()
    ctx.work.mkdir(parents=True, exist_ok=True)
    wanted = [t.strip() for t in args.tools.split(",") if t.strip()]
    for t in wanted:
        if t not in TOOL_CLASSES:
            raise SystemExit(f"unknown tool {t!r}; choose from {', '.join(ALL_TOOLS)}")

    # 1. the history and its counts
    cache = Path(os.environ.get("CPT_DATASETS_CACHE", fetch.DEFAULT_CACHE)).resolve()
    try:
        ctx.repo, tip = history.ensure_history(fetch.load_manifest(fetch.DEFAULT_MANIFEST), args.corpus, cache, jobs=4)
    except fetch.FetchError as e:
        raise SystemExit(f"bench_replay: {e}") from None
    ctx.stats = counts = history.history_stats(ctx.repo)
    say(f"history {ctx.repo} at {tip}")
    say(counts.markdown(ctx.repo))
    # Warm the page cache with the pack, as for every later run.
    for pack in (ctx.repo / "objects" / "pack").iterdir():
        with open(pack, "rb") as f:
            while f.read(1 << 20):
                pass

    # 2. the tools
    tools, skipped = [], {}
    for name in wanted:
        t = TOOL_CLASSES[name](ctx)
        why = t.available()
        if why:
            say(f"skipping {name}: {why}")
            skipped[name] = why
            continue
        tools.append(t)
    for t in tools:
        say(f"{t.name}: {t.version()}")
    shutil.rmtree(ctx.work / "out", ignore_errors=True)
    run_round_robin(tools, {t.name: args.runs for t in tools}, lambda t: t.expected())

    # 3. report
    md = render(ctx, tools, skipped)
    results = (args.results or ctx.work / "results.md").resolve()
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(md + "\n")
    raw = {
        "corpus": args.corpus, "repository": str(ctx.repo), "tip": tip, "started": ctx.started.isoformat(),
        "machine": machine_info(), "commits": len(counts.commits),
        "entries": len(counts.entries()), "blob_bytes": counts.blob_bytes(),
        "tools": {t.name: {"label": t.label, "version": t.version(), "seen": t.seen, "summary": t.summary(),
                           "prefix": getattr(t, "prefix", None), "runs": t.runs} for t in tools},
        "skipped": skipped,
    }
    results.with_suffix(".json").write_text(json.dumps(raw, indent=1) + "\n")
    say("")
    say(md)
    say("")
    say(f"results: {results} (raw runs: {results.with_suffix('.json')})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
