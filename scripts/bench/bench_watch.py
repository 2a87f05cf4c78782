#!/usr/bin/env python3
"""Watch benchmark: how long `cpt watch` takes to make one file write durable, on a large tree.

Normally started through scripts/bench-watch.sh, which fetches the corpus first. Steps:

 1. The tree: the `bench` corpus' source files (the set bench_scan.py gives every tool) hard-linked
    under --copies prefixes (a/, b/, ...; default 2: about 53,000 files), outside any git checkout,
    plus an empty folder watchbench/ where the benchmark writes. Every file is read once.
 2. Start `CPT_BIN watch TREE --out OUT -q --debounce D` (OUT removed first) and wait until time 0
    is durable: the manifest OUT/_manifest.json has a durable_time >= 0 and a part of its `times`
    table holds time 0. That wait is the time-0 scan duration.
 3. K times (default 200): write one real source file (even steps: a new file
    watchbench/NNNN-<name> with the content of a corpus file; odd steps: the previous step's file
    rewritten in place with the content of another corpus file of the same extension; corpus files
    themselves are never written), take t0 after the write and close, poll the manifest every 1 ms
    until its durable_time passes the value it had before the write and it lists parts of the
    `times` table and of `files` or `errors` with rows after that value, and record
    latency = t_durable - t0 - D. The manifest is parsed only when its inode, size or mtime
    changes. A few samples are then checked in the `files` table (DuckDB, if installed): the
    written path has a row of the written size at a time in (previous, new durable time].
 4. Restarts: SIGTERM the watcher (time to exit), write one file while it is down, start it again
    on the same --out (and the same content cache, wherever cpt keeps it) without --overwrite and
    wait until that file's change is durable (a cpt without resume for watch refuses: reported as
    such); then SIGTERM and start it again the same way with nothing changed, waiting until its log
    (RUST_LOG=cpt_dataflow::watch=info) says it resumed; then SIGTERM again and start with
    --overwrite, waiting until a new run's time 0 is durable.
 5. Print a Markdown table (tree, time-0 scan, latency p50/p95/p99/max, restarts, watcher RSS) and
    write it, with every latency and event as JSON, to the results files.

The watcher's RSS (summed over its process tree) is sampled every 50 ms from /proc by a thread.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from common import REPO, fmt_bytes, load_average, machine_info, say, show_command, tool_version
from corpus_tree import build_tree, select_files, warm_page_cache
from measure import tree_rss

sys.path.insert(0, str(REPO / "datasets"))
import fetch  # noqa: E402  (datasets/fetch.py: the corpus builder)

MANIFEST = "_manifest.json"
WRITE_DIR = "watchbench"


# --------------------------------------------------------------------------- manifest

def durable(manifest: dict | None) -> int:
    """The manifest's durable time; -1 before anything is durable (or before the manifest exists)."""
    t = (manifest or {}).get("durable_time")
    return t if isinstance(t, int) else -1


def lists_rows(manifest: dict, tables: tuple[str, ...], after: int) -> bool:
    """The manifest lists a non-empty part of one of these tables with rows at a time > after."""
    listed = manifest.get("tables") or {}
    return any(p.get("rows", 0) > 0 and p.get("max_time", -1) > after for t in tables for p in listed.get(t, []))


def has_time_zero(manifest: dict | None) -> bool:
    """Time 0 is durable and a part of the `times` table holds it."""
    return durable(manifest) >= 0 and lists_rows(manifest, ("times",), -1)


def started_over(manifest: dict | None, previous: dict) -> bool:
    """The manifest is a new run's (another created_at than `previous`) and its time 0 is durable."""
    return manifest is not None and manifest.get("created_at") != previous.get("created_at") and has_time_zero(manifest)


def has_new_batch(manifest: dict | None, before: int) -> bool:
    """A time after `before` is durable, and the manifest lists its `times` row and a `files` or
    `errors` row after `before` (so that a durable_time ahead of the listed parts does not count)."""
    return (durable(manifest) > before and lists_rows(manifest, ("times",), before)
            and lists_rows(manifest, ("files", "errors"), before))


class ManifestPoller:
    """Reads OUT/_manifest.json, parsing it again only when its inode, size or mtime changed
    (cpt replaces it atomically by a rename, so each version is a new inode)."""

    def __init__(self, out: Path):
        self.path = out / MANIFEST
        self._signature = None
        self.manifest: dict | None = None

    def read(self) -> dict | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._signature, self.manifest = None, None
            return None
        signature = (st.st_ino, st.st_size, st.st_mtime_ns)
        if signature != self._signature:
            try:
                self.manifest = json.loads(self.path.read_bytes())
                self._signature = signature
            except (OSError, json.JSONDecodeError):
                pass  # replaced between stat and read: the next poll reads the new one
        return self.manifest

    def wait(self, predicate, timeout: float, watcher: Watcher | None = None, interval: float = 0.001
             ) -> tuple[dict, float]:
        """Poll until predicate(manifest) holds; (manifest, monotonic time when seen). Raises
        TimeoutError after timeout seconds, WatcherExited if the watcher exits first."""
        deadline = time.monotonic() + timeout
        while True:
            m = self.read()
            now = time.monotonic()
            if m is not None and predicate(m):
                return m, now
            if watcher is not None and not watcher.alive():
                raise WatcherExited(watcher.exit_note())
            if now > deadline:
                raise TimeoutError(f"no such manifest within {timeout:.0f} s (durable_time {durable(m)})")
            time.sleep(interval)


# --------------------------------------------------------------------------- the watcher

class WatcherExited(Exception):
    """The watcher process ended while it was waited for."""


class Watcher:
    """A long-running command in its own session, its output in a log file, its RSS sampled."""

    def __init__(self, cmd: list[str], log: Path, env: dict[str, str] | None = None):
        self.cmd, self.log = cmd, log
        self.peak_rss_kib = 0
        self._stop_sampling = threading.Event()
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = open(log, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log_file, stderr=subprocess.STDOUT,
                                     start_new_session=True, env={**os.environ, **(env or {})})
        self.started = time.monotonic()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        while not self._stop_sampling.wait(0.05):
            self.peak_rss_kib = max(self.peak_rss_kib, tree_rss(self.proc.pid)[0])

    def rss_kib(self) -> int:
        return tree_rss(self.proc.pid)[0]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def exit_note(self) -> str:
        tail = self.log.read_text(errors="replace").strip().splitlines()[-5:]
        return f"exit {self.proc.returncode}: " + " / ".join(tail)

    def stop(self, grace: float = 60.0) -> float:
        """SIGTERM, wait for the exit (SIGKILL after grace seconds); seconds from the signal to the exit."""
        t0 = time.monotonic()
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        took = time.monotonic() - t0
        self._stop_sampling.set()
        self._sampler.join()
        self._log_file.close()
        return took

    def kill(self) -> None:
        """End the whole session at once (cleanup after an error)."""
        if self.alive():
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        self._stop_sampling.set()
        self._log_file.close()


# --------------------------------------------------------------------------- the writes

def plan_writes(root: Path, files: list[tuple[str, str, int]], k: int) -> list[dict]:
    """K writes of real, non-empty corpus contents, spread over the file set: even steps add
    watchbench/NNNN-<name>, odd steps rewrite the previous step's file with the content of the next
    corpus file of the same extension whose bytes differ."""
    nonempty = [rel for rel, _lang, size in files if size > 0]
    step = max(1, len(nonempty) // max(1, k))
    by_ext: dict[str, list[str]] = {}
    for rel in nonempty:
        by_ext.setdefault(os.path.splitext(rel)[1], []).append(rel)
    writes: list[dict] = []
    for i in range(k):
        if i % 2 == 0:
            source = nonempty[(i * step) % len(nonempty)]
            writes.append({"kind": "add", "target": f"{WRITE_DIR}/{i:04d}-{os.path.basename(source)}",
                           "source": source, "data": (root / source).read_bytes()})
            continue
        previous = writes[-1]
        same = by_ext[os.path.splitext(previous["source"])[1]]
        start = same.index(previous["source"])
        for j in range(1, len(same) + 1):
            source = same[(start + j) % len(same)]
            data = (root / source).read_bytes()
            if data != previous["data"]:
                break
        writes.append({"kind": "modify", "target": previous["target"], "source": source, "data": data})
    return writes


def write_file(tree: Path, target: str, data: bytes) -> float:
    """Write and close the file (in place when it exists); the monotonic time after the close."""
    with open(tree / target, "wb") as f:
        f.write(data)
    return time.monotonic()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def check_rows(out: Path, manifest: dict, samples: list[dict]) -> str:
    """Check that each sample's path has a `files` row of its size (or, rejected by a policy, an
    `errors` row) at a time in (before, after]; a sentence saying what was found."""
    try:
        import duckdb
    except ImportError:
        return "row check skipped: DuckDB is not installed (pip install duckdb)"
    listed = manifest.get("tables") or {}
    files, errors = ([str(out / p["file"]) for p in listed.get(t, [])] for t in ("files", "errors"))
    con = duckdb.connect()
    where = "(path = ? OR ends_with(path, '/' || ?)) AND diff > 0 AND time > ? AND time <= ?"
    found, rejected, missing = 0, [], []
    for s in samples:
        at = [s["target"], s["target"], s["before"], s["after"]]
        if files and con.execute(f"SELECT count(*) FROM read_parquet(?) WHERE {where} AND bytes = ?",
                                 [files, *at, len(s["data"])]).fetchone()[0]:
            found += 1
            continue
        reason = errors and con.execute(f"SELECT any_value(reason) FROM read_parquet(?) WHERE {where}",
                                        [errors, *at]).fetchone()[0]
        (rejected if reason else missing).append(f"{s['target']} at ({s['before']}, {s['after']}]"
                                                 + (f": {reason}" if reason else ""))
    note = f"{found}/{len(samples)} sampled writes have their `files` row at the time that made them durable"
    if rejected:
        note += f"; rejected by a policy, with an `errors` row at that time: {', '.join(rejected)}"
    return note + (f"; MISSING: {', '.join(missing)}" if missing else "")


# --------------------------------------------------------------------------- main

def watch_help(cpt: str) -> str:
    """`cpt watch --help`, or a clear exit when the binary has no watch subcommand."""
    if not os.access(cpt, os.X_OK):
        raise SystemExit(f"bench_watch: {cpt} not found (build it: cargo build --release; or set CPT_BIN)")
    res = subprocess.run([cpt, "watch", "--help"], capture_output=True, text=True)
    if res.returncode != 0:
        said = res.stderr.strip().splitlines()[0] if res.stderr.strip() else ""
        raise SystemExit(f"bench_watch: `{cpt} watch` is missing: this cpt has no watch subcommand (exit "
                         f"{res.returncode}: {said}); build a cpt that has it and point CPT_BIN at it")
    for flag in ("--out", "--debounce", "--overwrite"):
        if flag not in res.stdout:
            raise SystemExit(f"bench_watch: `{cpt} watch --help` does not mention {flag}; the benchmark needs "
                             "`cpt watch PATH --out DIR [--overwrite] [-w N] [--debounce MS] [-q]`")
    return res.stdout


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--corpus", default="bench", help="corpus of datasets/corpora.json (default bench)")
    ap.add_argument("--copies", type=int, default=2, help="copies of the corpus' file set in the tree (default 2)")
    ap.add_argument("--writes", type=int, default=200, help="timed writes K (default 200)")
    ap.add_argument("--debounce", type=int, default=50, help="cpt watch --debounce, in ms (default 50)")
    ap.add_argument("--workers", type=int, default=2, help="cpt watch -w (default 2)")
    ap.add_argument("--samples", type=int, default=5, help="writes whose rows are checked with DuckDB (default 5)")
    ap.add_argument("--work", type=Path, help="work folder, outside any git checkout "
                    "(default $BENCH_WORK or /tmp/cpt-bench-watch-<corpus>)")
    ap.add_argument("--cpt", default=os.environ.get("CPT_BIN", str(REPO / "target" / "release" / "cpt")))
    ap.add_argument("--cpt-args", default="", help="extra arguments for every cpt watch start (e.g. a cache folder)")
    ap.add_argument("--scan-timeout", type=float, default=1800, help="seconds to wait for time 0 (default 1800)")
    ap.add_argument("--write-timeout", type=float, default=60, help="seconds to wait for one write (default 60)")
    ap.add_argument("--results", type=Path, help="Markdown results file (default WORK/results.md; JSON beside it)")
    args = ap.parse_args(argv)

    started_at = dt.datetime.now(dt.timezone.utc)
    help_text = watch_help(args.cpt)
    work = (args.work or Path(os.environ.get("BENCH_WORK") or f"/tmp/cpt-bench-watch-{args.corpus}")).resolve()
    inside = subprocess.run(["git", "-C", str(work.parent if not work.exists() else work),
                             "rev-parse", "--show-toplevel"], capture_output=True, text=True)
    if inside.returncode == 0:
        raise SystemExit(f"--work {work} is inside the git checkout {inside.stdout.strip()}: cpt would honour "
                         "its .gitignore; choose a folder outside it")
    work.mkdir(parents=True, exist_ok=True)
    tree, out, logs = work / "tree", work / "out", work / "logs"

    # 1. the tree
    cache = Path(os.environ.get("CPT_DATASETS_CACHE", fetch.DEFAULT_CACHE)).resolve()
    root = fetch.build_corpus(fetch.load_manifest(fetch.DEFAULT_MANIFEST), args.corpus, cache, jobs=4)
    files, _dropped = select_files(root, [rel for rel, _l, _s in fetch.source_files(root)])
    prefixes = tuple(f"{chr(ord('a') + i)}/" for i in range(args.copies))
    shutil.rmtree(tree / WRITE_DIR, ignore_errors=True)  # an earlier run's writes
    build_tree(root, files, tree, prefixes)
    n_files = len(files) * len(prefixes)
    n_bytes = sum(s for _r, _l, s in files) * len(prefixes)
    say(f"tree {tree}: {n_files:,} source files ({len(prefixes)} copies of {len(files):,}), {n_bytes / 1e6:.1f} MB")
    if n_files < 50_000:
        say("  note: fewer than 50,000 files; raise --copies for the benchmark's intended size")
    say(f"page cache warm-up: {sum(warm_page_cache(tree / p, files) for p in prefixes):.2f} s")
    (tree / WRITE_DIR).mkdir()
    writes = plan_writes(root, files, args.writes)

    def watch_cmd(overwrite: bool) -> list[str]:
        c = [args.cpt, "watch", str(tree), "--out", str(out), "-q", "--debounce", str(args.debounce),
             "-w", str(args.workers)]
        return c + (["--overwrite"] if overwrite else []) + shlex.split(args.cpt_args)

    results: dict = {"corpus": args.corpus, "copies": len(prefixes), "files": n_files, "bytes": n_bytes,
                     "debounce_ms": args.debounce, "writes": args.writes, "started": started_at.isoformat(),
                     "machine": machine_info(), "cpt": tool_version([args.cpt, "--version"]),
                     "load_average": load_average(), "watch_help_has_no_cache": "--no-cache" in help_text}
    say(f"{results['cpt']}; load average {results['load_average']}")
    shutil.rmtree(out, ignore_errors=True)
    poller = ManifestPoller(out)
    started: list[Watcher] = []

    def start(overwrite: bool, tag: str, env: dict[str, str] | None = None) -> Watcher:
        watcher = Watcher(watch_cmd(overwrite), logs / f"watch-{tag}.log", env)
        started.append(watcher)
        return watcher

    try:
        # 2. time 0
        watcher = start(False, "first")
        m, t_ready = poller.wait(has_time_zero, args.scan_timeout, watcher)
        results["scan_s"] = t_ready - watcher.started
        results["rss_after_scan_kib"] = watcher.rss_kib()
        say(f"time 0 durable after {results['scan_s']:.2f} s ({n_files / results['scan_s']:,.0f} files/s), "
            f"watcher RSS {fmt_bytes(results['rss_after_scan_kib'] * 1024)}")

        # 3. the writes
        latencies, events = [], []
        last = durable(m)
        for i, w in enumerate(writes):
            t0 = write_file(tree, w["target"], w["data"])
            m, t1 = poller.wait(lambda m, before=last: has_new_batch(m, before), args.write_timeout, watcher)
            latency = t1 - t0 - args.debounce / 1000
            latencies.append(latency)
            events.append({"kind": w["kind"], "target": w["target"], "source": w["source"], "bytes": len(w["data"]),
                           "before": last, "after": durable(m), "raw_s": t1 - t0, "latency_s": latency})
            last = durable(m)
            if (i + 1) % 50 == 0:
                so_far = statistics.median(latencies) * 1000
                say(f"  {i + 1}/{len(writes)} writes, median latency so far {so_far:.0f} ms")
        results["events"] = events
        results["peak_rss_kib"] = watcher.peak_rss_kib
        picks = sorted({round(j * (len(writes) - 1) / max(1, args.samples - 1)) for j in range(args.samples)})
        results["row_check"] = check_rows(out, m, [dict(events[j], data=writes[j]["data"]) for j in picks])
        say(results["row_check"])

        # 4. restarts: resume on the same --out after a change made while stopped, then --overwrite
        results["stop_s"] = watcher.stop()
        offline = writes[0]
        write_file(tree, f"{WRITE_DIR}/offline-{os.path.basename(offline['source'])}", offline["data"])
        stopped = poller.read() or {}
        watcher = start(False, "resume")
        results["resume"] = wait_ready(poller, watcher, lambda m: has_new_batch(m, last) or started_over(m, stopped),
                                       args.scan_timeout)
        if started_over(poller.read(), stopped) and durable(poller.read()) <= last:
            results["resume"]["note"] = f"started a new run instead of resuming ({results['resume']['note']})"
        say(f"stop {results['stop_s']:.2f} s; restart on the same --out: {results['resume']['note']}")
        if watcher.alive():
            results["resume"]["stop_s"] = watcher.stop()
        watcher = start(False, "unchanged", {"RUST_LOG": "cpt_dataflow::watch=info"})
        results["unchanged"] = wait_logged(watcher, "resumed at time", args.scan_timeout)
        say(f"restart on the same --out, nothing changed: {results['unchanged']['note']}")
        previous = poller.read() or {}
        if watcher.alive():
            results["unchanged"]["stop_s"] = watcher.stop()
        watcher = start(True, "overwrite")
        results["overwrite"] = wait_ready(poller, watcher, lambda m: started_over(m, previous), args.scan_timeout)
        say(f"restart with --overwrite: {results['overwrite']['note']}")
        results["final_stop_s"] = watcher.stop()
    except (WatcherExited, TimeoutError) as e:
        raise SystemExit(f"bench_watch: {e} (log: {started[-1].log})") from None
    finally:
        for each in started:
            each.kill()

    # 5. report
    md = render(results, latencies, show_command(watch_cmd(False), {str(tree): "TREE", str(out): "OUT"}))
    path = (args.results or work / "results.md").resolve()
    path.write_text(md + "\n")
    path.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    say("")
    say(md)
    say("")
    say(f"results: {path} (every write: {path.with_suffix('.json')})")
    return 0


def wait_ready(poller: ManifestPoller, watcher: Watcher, predicate, timeout: float) -> dict:
    """Wait for a restarted watcher's manifest to satisfy predicate; what happened, and how long
    since the start it took. A watcher that exits or times out is reported, not fatal."""
    try:
        _m, t_ready = poller.wait(predicate, timeout, watcher)
    except WatcherExited as e:
        return {"note": f"refused ({e})"}
    except TimeoutError as e:
        watcher.kill()
        return {"note": f"not ready: {e}"}
    took = t_ready - watcher.started
    return {"note": f"{took:.2f} s", "seconds": took}


def wait_logged(watcher: Watcher, marker: str, timeout: float) -> dict:
    """Wait until the watcher's log holds marker (polled every 10 ms); what happened, and how long
    since the start it took. A watcher that exits or times out is reported, not fatal."""
    deadline = time.monotonic() + timeout
    while marker not in watcher.log.read_text(errors="replace"):
        if not watcher.alive():
            return {"note": f"refused ({watcher.exit_note()})"}
        if time.monotonic() > deadline:
            watcher.kill()
            return {"note": f"not ready: {marker!r} not logged within {timeout:.0f} s"}
        time.sleep(0.01)
    took = time.monotonic() - watcher.started
    return {"note": f"{took:.2f} s", "seconds": took}


def render(r: dict, latencies: list[float], command: str) -> str:
    """The results as Markdown: a caption, one table, the row check, the command."""
    def cell(note: str) -> str:
        return note.replace("|", "\\|")

    ms = [x * 1000 for x in latencies]
    raw = [e["raw_s"] * 1000 for e in r["events"]]
    lines = [
        f"Tree: {r['files']:,} source files ({r['copies']} copies of corpus `{r['corpus']}`'s file set), "
        f"{r['bytes'] / 1e6:.1f} MB; {r['cpt']}; debounce {r['debounce_ms']} ms; {r['writes']} writes; "
        f"{r['machine']}; load average {r['load_average']}; "
        f"{dt.datetime.fromisoformat(r['started']):%Y-%m-%d %H:%M} UTC.",
        "",
        "| what | measured |",
        "|---|---:|",
        f"| time-0 scan (start → time 0 durable) | {r['scan_s']:.2f} s ({r['files'] / r['scan_s']:,.0f} files/s) |",
        f"| write → durable, minus debounce: p50 / p95 / p99 / max | {percentile(ms, 50):.0f} / "
        f"{percentile(ms, 95):.0f} / {percentile(ms, 99):.0f} / {max(ms):.0f} ms |",
        f"| write → durable (raw): p50 / max | {percentile(raw, 50):.0f} / {max(raw):.0f} ms |",
        f"| watcher RSS after time 0 / peak over the scan and the writes (process tree) | {fmt_bytes(r['rss_after_scan_kib'] * 1024)} / "
        f"{fmt_bytes(r['peak_rss_kib'] * 1024)} |",
        f"| stop (SIGTERM → exit) | {r['stop_s']:.2f} s |",
        f"| restart on the same --out without --overwrite (start → the change made while stopped is durable) "
        f"| {cell(r['resume']['note'])} |",
        f"| restart on the same --out, nothing changed while stopped (start → resumed, per its log) "
        f"| {cell(r['unchanged']['note'])} |",
        f"| restart with --overwrite (start → a new run's time 0 is durable) | {cell(r['overwrite']['note'])} |",
        "",
        f"Rows: {r['row_check']}.",
        "",
        f"Command: `{command}` (TREE = the tree, OUT = its output folder; a restart adds `--overwrite` "
        "or not, as the row says).",
        "",
        "Latency: from the close of the write to the first manifest whose durable_time passed the "
        "one before the write and that lists `times` and `files`/`errors` rows after it (polled every "
        "1 ms), minus the debounce; even writes add a file, odd ones rewrite it in place with another "
        "real file of the same extension.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
