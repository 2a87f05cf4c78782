"""Shared pieces of the side-by-side benchmarks (bench_scan.py, bench_replay.py).

A benchmark is a set of tools, each run N times round-robin under measure.py (wall time, peak RSS
of the whole process tree); the first run of each is checked against the expected count of what it
should have looked at; medians go into a Markdown table together with the machine it ran on.
Python 3.11+, standard library only.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PEERS = Path(os.environ.get("CPT_PEERS_DIR", HERE.parent / ".peers"))


def say(msg: str = "") -> None:
    print(msg, flush=True)


def fmt_bytes(n: float) -> str:
    return f"{n / 2**20:.1f} MiB"


def machine_info() -> str:
    """CPU count and model, RAM and kernel, for the caption of a results table."""
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 2**20:.0f} GiB"
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}), {mem} RAM, {platform.system()} {platform.release()}"


def load_average() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def tool_version(cmd: list[str]) -> str:
    """The first line a `--version` style command prints, or `?`."""
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return "?"


def measure(logs: Path, cmd: list[str], tag: str, timeout: float, cwd: Path | None = None,
            env: dict | None = None) -> dict:
    """Run cmd under measure.py (stdout and stderr kept in logs/<tag>.*); its JSON result."""
    logs.mkdir(parents=True, exist_ok=True)
    out, err = logs / f"{tag}.stdout", logs / f"{tag}.stderr"
    mcmd = [sys.executable, str(HERE / "measure.py"), "--timeout", str(timeout),
            "--stdout", str(out), "--stderr", str(err)]
    if cwd:
        mcmd += ["--cwd", str(cwd)]
    res = subprocess.run(mcmd + ["--"] + cmd, capture_output=True, text=True, env=dict(os.environ, **(env or {})))
    if res.returncode != 0:
        raise SystemExit(f"measure.py failed: {res.stderr}")
    r = json.loads(res.stdout)
    r["stdout"], r["stderr"] = str(out), str(err)
    if r["rc"] != 0 and not r["timed_out"]:
        tail = err.read_text(errors="replace")[-2000:]
        say(f"  !! {tag}: exit {r['rc']}; stderr tail:\n{tail}")
    return r


class Tool:
    """One tool of a benchmark: how to run it once, and how to read its own count of its input."""
    name = ""
    label = ""

    def __init__(self, ctx):
        self.ctx = ctx
        self.runs: list[dict] = []
        self.count_note = ""
        self.seen: int | None = None  # the tool's own count of what it looked at (files, commits)

    def available(self) -> str | None:
        """None when runnable, else why not."""
        return None

    def version(self) -> str:
        return ""

    def prepare(self) -> None:
        """Untimed work before the first timed run (e.g. priming a cache)."""

    def run_once(self, i: int) -> dict:
        raise NotImplementedError

    def check_counts(self) -> None:
        """After the first run: set `seen` and `count_note` from what the tool reported."""

    def summary(self) -> str:
        return self.count_note


def run_round_robin(tools: list[Tool], runs: dict[str, int], expected: Callable[[Tool], tuple[int, str]]) -> None:
    """Run every tool its number of times, one run of each in turn. After a tool's first run, its own
    count (`seen`) is checked against expected(tool), a (count, unit) pair."""
    say(f"load average before the runs: {load_average()}")
    for i in range(max(runs.values(), default=0)):
        for t in tools:
            if i >= runs[t.name]:
                continue
            r = t.run_once(i)
            t.runs.append(r)
            flag = " TIMED OUT" if r["timed_out"] else ("" if r["rc"] == 0 else f" exit {r['rc']}")
            say(f"run {i + 1}/{runs[t.name]} {t.name:<9} {r['wall_s']:8.2f} s  "
                f"{r['peak_rss_kib'] / 1024:8.1f} MiB{flag}")
            if i == 0:
                t.check_counts()
                count, unit = expected(t)
                mark = "" if t.seen == count else f"   <-- expected {count:,}"
                say(f"  {t.name} saw {t.seen if t.seen is not None else '?'} {unit}{mark}: {t.summary()}")


def median_stats(runs: list[dict]) -> dict | None:
    """Median, min and max wall and median peak RSS (bytes) of the successful runs; None if none."""
    ok = [r for r in runs if r["rc"] == 0 and not r["timed_out"]]
    if not ok:
        return None
    return {
        "wall": statistics.median(r["wall_s"] for r in ok),
        "min": min(r["wall_s"] for r in ok),
        "max": max(r["wall_s"] for r in ok),
        "rss": statistics.median(r["peak_rss_kib"] for r in ok) * 1024,
        "n": len(ok),
    }


def failure_note(runs: list[dict]) -> str:
    """Why a tool has no successful run, from its last one."""
    if not runs:
        return "no run"
    r = runs[-1]
    if r["timed_out"]:
        return f"timed out after {r['wall_s']:.0f} s"
    return f"failed (exit {r['rc']}) after {r['wall_s']:.1f} s"


def show_command(cmd: list[str], names: dict[str, str]) -> str:
    """cmd as a shell line, with the given paths replaced by short names and the repository root dropped."""
    text = " ".join(shlex.quote(x) for x in cmd)
    for path, name in names.items():
        text = text.replace(path, name)
    return text.replace(str(REPO) + "/", "")
