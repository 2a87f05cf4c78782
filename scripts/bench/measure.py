#!/usr/bin/env python3
"""Run one command and measure its wall time and the peak memory of its whole process tree.

    measure.py [--timeout S] [--stdout F] [--stderr F] [--cwd D] [--interval MS] -- CMD ARGS...

Prints one JSON object on stdout:
  wall_s            wall-clock seconds from spawn to exit
  peak_tree_rss_kib highest sum of VmRSS over the command and all its descendants, sampled every
                    --interval ms (default 20) by walking /proc (no cgroups, no psutil)
  max_rss_kib       the kernel's ru_maxrss of the largest single process (what GNU time reports;
                    it includes the pre-exec pages of the forked launcher, ~15 MiB)
  peak_rss_kib      peak_tree_rss_kib; for runs too short to sample 5 times, the larger of the two
  samples           how many /proc samples were taken
  max_procs         most processes alive at one sample
  user_s, sys_s     CPU time of the tree (from wait4)
  rc                exit status (negative: killed by that signal; 124: timed out)
  timed_out         true when --timeout expired (the whole process group is killed)

Linux only; Python 3.8+, standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue
        # The command name may contain spaces and parentheses: split after the last ')'.
        rest = data[data.rfind(b")") + 2:].split()
        ppid = int(rest[1])
        kids.setdefault(ppid, []).append(int(name))
    return kids


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE_KIB
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss(root: int) -> tuple[int, int]:
    """(summed RSS in KiB, process count) of root and all its descendants."""
    kids = _children_map()
    total = count = 0
    stack = [root]
    seen = set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _rss_kib(pid)
        count += 1
        stack.extend(kids.get(pid, ()))
    return total, count


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--timeout", type=float, default=0, help="seconds; 0 = none")
    ap.add_argument("--stdout", default=os.devnull)
    ap.add_argument("--stderr", default=os.devnull)
    ap.add_argument("--cwd")
    ap.add_argument("--interval", type=float, default=20.0, help="sampling interval in ms")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        ap.error("no command given")

    interval = args.interval / 1000.0
    with open(args.stdout, "wb") as out, open(args.stderr, "wb") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                cwd=args.cwd, start_new_session=True)
        peak = procs = samples = 0
        timed_out = False
        status = rusage = None
        while True:
            pid, st, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                status, rusage = st, ru
                break
            rss, n = tree_rss(proc.pid)
            peak = max(peak, rss)
            samples += 1
            procs = max(procs, n)
            if args.timeout and time.monotonic() - t0 > args.timeout:
                timed_out = True
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                _pid, status, rusage = os.wait4(proc.pid, 0)
                break
            time.sleep(interval)
        wall = time.monotonic() - t0
        proc.returncode = 0  # reaped by wait4 above; keep Popen from waiting again
    # Kill any descendants the command left behind in its session.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if os.WIFEXITED(status):
        rc = os.WEXITSTATUS(status)
    else:
        rc = -os.WTERMSIG(status)
    if timed_out:
        rc = 124
    result = {
        "cmd": cmd,
        "wall_s": round(wall, 4),
        "peak_tree_rss_kib": peak,
        "max_rss_kib": rusage.ru_maxrss,
        "peak_rss_kib": peak if samples >= 5 else max(peak, rusage.ru_maxrss),
        "max_procs": procs,
        "samples": samples,
        "user_s": round(rusage.ru_utime, 3),
        "sys_s": round(rusage.ru_stime, 3),
        "rc": rc,
        "timed_out": timed_out,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
