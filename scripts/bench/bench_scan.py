#!/usr/bin/env python3
"""Side-by-side scan benchmark: cpt vs tokei, ast-grep and jscpd 5/4 on one explicit file list.

Normally started through scripts/bench-scan.sh, which fetches the corpus and installs the peers
first. Steps:

 1. Take the corpus' counted source files (datasets/fetch.py --list) and drop the ones that the
    walkers of these tools leave out by default anyway, so that every tool can see all of them:
    paths with a hidden component, files under node_modules/ vendor/ third_party/ target/,
    `*.min.*` names and files over 1 MiB. What is dropped is printed.
 2. Hard-link (or copy) exactly those files into a fresh tree outside any git checkout (cpt and
    tokei honour .gitignore files of enclosing repositories), and check the tree.
 3. Read every file once (page cache warm), then run each tool N times, round-robin, under
    scripts/bench/measure.py (wall time; peak RSS summed over the process tree, sampled every
    20 ms). Each tool's own count of the files it looked at is printed next to the expected one.
 4. Print a Markdown table (median wall, files/s, MB/s, peak RSS, ratios vs cpt) and write it,
    with the raw runs as JSON, to the results files.

The tools:
  cpt       target/release/cpt scan TREE --out OUT --overwrite -w W   (every run cold: cpt keeps
            no content cache between runs yet)
  tokei     tokei TREE                                        (line counting only: a floor)
  ast-grep  ast-grep scan with ONE rule per language, kind = that grammar's function-definition node,
            over that language's files only (given explicitly); times summed over languages
  jscpd5    jscpd 5.3.3 (Rust engine) TREE --min-tokens 50, JSON report
  jscpd4    jscpd 4.3.0 (Node engine), same options (+ --max-lines/--max-size raised so it reads
            the same files; Node heap raised with --node-heap)
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

from common import (PEERS, REPO, Tool, failure_note, fmt_bytes, machine_info, median_stats, run_round_robin, say,
                    show_command, tool_version)
from common import measure as measure_in
from corpus_tree import build_tree, sample, select_files, warm_page_cache

sys.path.insert(0, str(REPO / "datasets"))
import fetch  # noqa: E402  (datasets/fetch.py: the language map and the corpus builder)

ALL_TOOLS = ["cpt", "tokei", "ast-grep", "jscpd5", "jscpd4"]

# ast-grep: language id, file globs (exactly our extensions) and the function-definition node kind.
AST_GREP = {
    "Rust": ("rust", ["*.rs"], "function_item"),
    "Python": ("python", ["*.py", "*.pyi"], "function_definition"),
    "JavaScript": ("javascript", ["*.js", "*.mjs", "*.cjs", "*.jsx"], "function_declaration"),
    "TypeScript": ("typescript", ["*.ts", "*.mts", "*.cts"], "function_declaration"),
    "TSX": ("tsx", ["*.tsx"], "function_declaration"),
    "Go": ("go", ["*.go"], "function_declaration"),
    "Java": ("java", ["*.java"], "method_declaration"),
    "C": ("c", ["*.c", "*.h"], "function_definition"),
    "C++": ("cpp", ["*.cc", "*.cpp", "*.cxx", "*.hh", "*.hpp", "*.hxx"], "function_definition"),
}
# jscpd: formats and the extension map that gives it exactly our files.
JSCPD_FORMATS_EXTS = ("javascript:js,mjs,cjs;jsx:jsx;typescript:ts,mts,cts;tsx:tsx;python:py,pyi;"
                      "rust:rs;go:go;java:java;c:c,h;cpp:cc,cpp,cxx,hh,hpp,hxx")
JSCPD_FORMATS = "javascript,jsx,typescript,tsx,python,rust,go,java,c,cpp"


# --------------------------------------------------------------------------- tools

def measure(ctx, cmd: list[str], tag: str, cwd: Path | None = None, env: dict | None = None) -> dict:
    return measure_in(ctx.work / "logs", cmd, tag, ctx.args.timeout, cwd, env)


class Cpt(Tool):
    name, label = "cpt", "cpt scan"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.bin = Path(ctx.args.cpt)
        self.out = ctx.work / "out" / self.name

    def available(self):
        return None if os.access(self.bin, os.X_OK) else f"{self.bin} not found (build it: cargo build --release)"

    def version(self):
        return tool_version([str(self.bin), "--version"])

    def cmd(self):
        return ([str(self.bin), "scan", str(self.ctx.tree), "--out", str(self.out), "--overwrite",
                 "-w", str(self.ctx.args.workers)] + shlex.split(self.ctx.args.cpt_args))

    def run_once(self, i):
        return measure(self.ctx, self.cmd(), f"{self.name}-{i}")

    def check_counts(self):
        text = Path(self.runs[0]["stderr"]).read_text(errors="replace")
        m = re.findall(r"cpt scan: (.*)", text)
        if m:
            self.count_note = m[-1]
            n = re.match(r"(\d+) files", m[-1])
            self.seen = int(n.group(1)) if n else None
        else:
            self.count_note = "no summary line found on stderr"
            self.seen = None


class Tokei(Tool):
    name, label = "tokei", "tokei 15 (line counts only)"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.bin = shutil.which("tokei", path=str(PEERS / "cargo" / "bin")) or shutil.which("tokei")

    def available(self):
        return None if self.bin else "tokei not installed (scripts/peers-install.sh tokei)"

    def version(self):
        return tool_version([self.bin, "--version"])

    def run_once(self, i):
        return measure(self.ctx, [self.bin, str(self.ctx.tree)], f"tokei-{i}")

    def check_counts(self):
        out = subprocess.run([self.bin, "--output", "json", str(self.ctx.tree)], capture_output=True, text=True)
        try:
            data = json.loads(out.stdout)
        except json.JSONDecodeError:
            self.seen = None
            self.count_note = "could not read tokei's JSON output"
            return
        per = {}
        for lang, v in data.items():
            if lang == "Total" or not isinstance(v, dict):
                continue
            n = len(v.get("reports", []))
            if n:
                per[lang] = n
        self.seen = sum(per.values())
        total = data.get("Total", {})
        self.count_note = (f"{self.seen} files ({', '.join(f'{k} {v}' for k, v in sorted(per.items()))}); "
                           f"{total.get('code', '?')} code lines")


class AstGrep(Tool):
    name, label = "ast-grep", "ast-grep 0.51.1 (1 rule per language)"
    ARG_BYTES = 1_000_000  # split a language's file list into several invocations above this

    def __init__(self, ctx):
        super().__init__(ctx)
        self.bin = PEERS / "npm" / "ast-grep-0.51.1" / "node_modules" / ".bin" / "ast-grep"
        self.config = ctx.work / "sgconfig.yml"

    def available(self):
        return None if self.bin.exists() else "ast-grep not installed (scripts/peers-install.sh npm)"

    def version(self):
        return tool_version([str(self.bin), "--version"])

    def prepare(self):
        lines = ["ruleDirs: []", "languageGlobs:"]
        for _lang, (sg, globs, _kind) in AST_GREP.items():
            lines.append(f"  {sg}: [{', '.join(json.dumps(g) for g in globs)}]")
        self.config.write_text("\n".join(lines) + "\n")
        self.batches = []
        for lang, (sg, _globs, kind) in AST_GREP.items():
            files = [rel for rel, l, _s in self.ctx.files if l == lang]
            if not files:
                continue
            rule = json.dumps({"id": f"fn-{sg}", "language": sg, "severity": "info", "rule": {"kind": kind}})
            chunk, size = [], 0
            for f in files:
                if chunk and size + len(f) + 1 > self.ARG_BYTES:
                    self.batches.append((lang, rule, chunk))
                    chunk, size = [], 0
                chunk.append(f)
                size += len(f) + 1
            self.batches.append((lang, rule, chunk))

    def run_once(self, i):
        parts = []
        for j, (lang, rule, files) in enumerate(self.batches):
            cmd = [str(self.bin), "scan", "-c", str(self.config), "--inline-rules", rule, "--json=stream"] + files
            r = measure(self.ctx, cmd, f"ast-grep-{i}-{j}", cwd=self.ctx.tree)
            r["lang"], r["files"] = lang, len(files)
            r["cmd"] = r["cmd"][:7] + [f"<{len(files)} {lang} files>"]
            parts.append(r)
        return {
            "wall_s": round(sum(p["wall_s"] for p in parts), 4),
            "peak_rss_kib": max(p["peak_rss_kib"] for p in parts),
            "rc": next((p["rc"] for p in parts if p["rc"] != 0), 0),
            "timed_out": any(p["timed_out"] for p in parts),
            "user_s": round(sum(p["user_s"] for p in parts), 3),
            "sys_s": round(sum(p["sys_s"] for p in parts), 3),
            "parts": parts,
        }

    def check_counts(self):
        per_lang: dict[str, list[int]] = {}
        matched_files = set()
        for p in self.runs[0]["parts"]:
            n = 0
            with open(p["stdout"], encoding="utf-8", errors="replace") as f:
                for line in f:
                    if line.strip():
                        n += 1
                        try:
                            matched_files.add(json.loads(line)["file"])
                        except (json.JSONDecodeError, KeyError):
                            pass
            v = per_lang.setdefault(p["lang"], [0, 0])
            v[0] += p["files"]
            v[1] += n
        self.seen = sum(v[0] for v in per_lang.values())
        self.count_note = (f"{self.seen} files given, {len(matched_files)} with matches; "
                           f"{sum(v[1] for v in per_lang.values())} function definitions "
                           f"({', '.join(f'{k} {v[1]}' for k, v in per_lang.items())}); "
                           f"{len(self.batches)} invocations")


def _pct(v) -> str:
    return f"{v:.2f}%" if isinstance(v, (int, float)) else "?%"


class Jscpd(Tool):
    major = 5
    version_pin = "5.3.3"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.name = f"jscpd{self.major}"
        self.label = f"jscpd {self.version_pin}" + (" (Rust engine)" if self.major == 5 else " (Node engine)")
        self.bin = PEERS / "npm" / f"jscpd-{self.version_pin}" / "node_modules" / ".bin" / "jscpd"
        self.out = ctx.work / "out" / self.name

    def available(self):
        return None if self.bin.exists() else f"jscpd {self.version_pin} not installed (scripts/peers-install.sh npm)"

    def version(self):
        v = tool_version([str(self.bin), "--version"])
        return v if v.startswith("jscpd") else f"jscpd {v}"

    def cmd(self):
        c = [str(self.bin), str(self.ctx.tree), "--min-tokens", "50", "--max-size", "2mb",
             "--reporters", "json", "--output", str(self.out), "--silent", "--no-gitignore",
             "--format", JSCPD_FORMATS, "--formats-exts", JSCPD_FORMATS_EXTS]
        if self.major == 4:
            c += ["--max-lines", "100000000"]
        return c

    def env(self):
        if self.major == 4 and self.ctx.args.node_heap:
            return {"NODE_OPTIONS": f"--max-old-space-size={self.ctx.args.node_heap}"}
        return {}

    def run_once(self, i):
        shutil.rmtree(self.out, ignore_errors=True)
        r = measure(self.ctx, self.cmd(), f"{self.name}-{i}", env=self.env())
        report = self.out / "jscpd-report.json"
        if report.exists():
            keep = self.ctx.work / "out" / f"{self.name}-report.json"
            shutil.copy(report, keep)
            r["report"] = str(keep)
        return r

    def check_counts(self):
        rep = self.runs[0].get("report")
        if not rep:
            self.seen = None
            self.count_note = "no JSON report written"
            return
        data = json.loads(Path(rep).read_text())
        st = data.get("statistics", {})
        total = st.get("total", {})
        self.seen = total.get("sources")
        # jscpd 5 keeps per-format totals flat, jscpd 4 under "total".
        per = {k: v.get("total", v).get("sources") for k, v in st.get("formats", {}).items()}
        self.count_note = (f"{self.seen} files ({', '.join(f'{k} {v}' for k, v in sorted(per.items()))}); "
                           f"{len(data.get('duplicates', []))} clones, "
                           f"{_pct(total.get('percentage'))} duplicated lines")


class Jscpd4(Jscpd):
    major = 4
    version_pin = "4.3.0"


TOOL_CLASSES = {"cpt": Cpt, "tokei": Tokei, "ast-grep": AstGrep,
                "jscpd5": Jscpd, "jscpd4": Jscpd4}


# --------------------------------------------------------------------------- report

def render(ctx, tools: list[Tool], skipped: dict[str, str]) -> str:
    n_files = len(ctx.files)
    n_bytes = sum(s for _r, _l, s in ctx.files)
    stats = {t.name: s for t in tools if (s := median_stats(t.runs))}
    base = stats.get("cpt")
    lines = [
        f"Corpus `{ctx.args.corpus}`: {n_files:,} files, {n_bytes / 1e6:.1f} MB "
        f"({', '.join(f'{k} {v:,}' for k, v in ctx.per_lang.items())}); "
        f"{machine_info()}; {ctx.started:%Y-%m-%d %H:%M} UTC.",
        "",
        "| tool | runs | median wall (min–max) | files/s | MB/s | peak RSS (tree) | wall vs cpt | RSS vs cpt | files seen |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in tools:
        s = stats.get(t.name)
        seen_s = "?" if t.seen is None else (f"{t.seen:,}" + ("" if t.seen == n_files else " ⚠"))
        if not s:
            peak = fmt_bytes(t.runs[-1]["peak_rss_kib"] * 1024) if t.runs else ""
            lines.append(f"| {t.label} | 0/{len(t.runs)} | {failure_note(t.runs)} | | | {peak} | | | {seen_s} |")
            continue
        rw = f"{s['wall'] / base['wall']:.2f}×" if base else "n/a"
        rr = f"{s['rss'] / base['rss']:.2f}×" if base else "n/a"
        lines.append(
            f"| {t.label} | {s['n']} | {s['wall']:.2f} s ({s['min']:.2f}–{s['max']:.2f}) | "
            f"{n_files / s['wall']:,.0f} | {n_bytes / 1e6 / s['wall']:.1f} | {fmt_bytes(s['rss'])} | "
            f"{rw} | {rr} | {seen_s} |")
    for name, why in skipped.items():
        lines.append(f"| {name} | – | not run: {why} | | | | | | |")
    lines += ["", "What each tool reported (first run):", ""]
    for t in tools:
        lines.append(f"- **{t.label}** — `{t.version()}`: {t.summary()}")
    lines += ["", "Commands (TREE = the benchmark tree):", ""]
    for t in tools:
        if t.runs:
            c = t.runs[0].get("cmd") or [p["cmd"] for p in t.runs[0].get("parts", [])][:1][0]
            text = show_command(c, {str(ctx.tree): "TREE", str(ctx.work): "WORK"})
            lines.append(f"- {t.name}: `{text}`" + (" (one per language)" if t.name == "ast-grep" else ""))
    lines += ["", "Wall: median of the runs; peak RSS: median over runs of the highest summed RSS of the "
              "tool's process tree (sampled every 20 ms); MB = 10^6 bytes of the listed files; "
              "ratios are tool / cpt (cold). Files seen: each tool's own count; ⚠ marks a count that "
              "differs from the list. jscpd counts only the files it tokenized (jscpd 5: only those "
              "with at least --min-tokens tokens; both leave out empty files); ast-grep's count is "
              "the files given to it."]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main

class Ctx:
    pass


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--corpus", default="bench", help="corpus of datasets/corpora.json (default bench)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per tool (default 5)")
    ap.add_argument("--runs-jscpd4", type=int, default=1,
                    help="timed runs of jscpd 4 (default 1: one run over the bench corpus takes tens of minutes)")
    ap.add_argument("--tools", default=",".join(ALL_TOOLS), help=f"comma-separated subset of {','.join(ALL_TOOLS)}")
    ap.add_argument("--work", type=Path, help="work folder, outside any git checkout "
                    "(default $BENCH_WORK or /tmp/cpt-bench-<corpus>)")
    ap.add_argument("--limit", type=int, default=0, help="use an evenly spread sample of N files (smoke tests)")
    ap.add_argument("--cpt", default=os.environ.get("CPT_BIN", str(REPO / "target" / "release" / "cpt")))
    ap.add_argument("--cpt-args", default="", help="extra arguments for cpt scan")
    ap.add_argument("--workers", type=int, default=2, help="cpt -w (default 2)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per run (default 1800)")
    ap.add_argument("--node-heap", type=int, default=8192, help="MiB of Node heap for jscpd 4 (0: Node's default)")
    ap.add_argument("--results", type=Path, help="Markdown results file (default WORK/results.md; JSON beside it)")
    args = ap.parse_args(argv)

    ctx = Ctx()
    ctx.args = args
    ctx.started = dt.datetime.now(dt.timezone.utc)
    ctx.work = (args.work or Path(os.environ.get("BENCH_WORK") or f"/tmp/cpt-bench-{args.corpus}")).resolve()
    inside = subprocess.run(["git", "-C", str(ctx.work.parent if not ctx.work.exists() else ctx.work),
                             "rev-parse", "--show-toplevel"], capture_output=True, text=True)
    if inside.returncode == 0:
        raise SystemExit(f"--work {ctx.work} is inside the git checkout {inside.stdout.strip()}: cpt and "
                         "tokei would honour its .gitignore; choose a folder outside it")
    ctx.work.mkdir(parents=True, exist_ok=True)
    ctx.tree = ctx.work / "tree"

    wanted = [t.strip() for t in args.tools.split(",") if t.strip()]
    for t in wanted:
        if t not in TOOL_CLASSES:
            raise SystemExit(f"unknown tool {t!r}; choose from {', '.join(ALL_TOOLS)}")

    # 1. the file list
    manifest = fetch.load_manifest(fetch.DEFAULT_MANIFEST)
    cache = Path(os.environ.get("CPT_DATASETS_CACHE", fetch.DEFAULT_CACHE)).resolve()
    root = fetch.build_corpus(manifest, args.corpus, cache, jobs=4)
    listed = [rel for rel, _l, _s in fetch.source_files(root)]
    files, dropped = select_files(root, listed)
    files = sample(files, args.limit)
    ctx.files = files
    list_path = ctx.work / "files.txt"
    list_path.write_text("".join(r + "\n" for r, _l, _s in files))
    per_lang = {}
    per_bytes = {}
    for _r, lang, size in files:
        per_lang[lang] = per_lang.get(lang, 0) + 1
        per_bytes[lang] = per_bytes.get(lang, 0) + size
    ctx.per_lang = {k: per_lang[k] for k in fetch.LANGUAGES if k in per_lang}
    n_bytes = sum(per_bytes.values())
    say(f"corpus {args.corpus} at {root}: {len(listed):,} source files")
    for why, (n, b) in dropped.items():
        if n:
            say(f"  dropped {n:,} files ({fmt_bytes(b)}): {why}")
    say(f"file list {list_path}: {len(files):,} files, {n_bytes:,} bytes ({fmt_bytes(n_bytes)})"
        + (f" [sample of --limit {args.limit}]" if args.limit else ""))
    for lang in ctx.per_lang:
        say(f"  {lang:<11} {per_lang[lang]:>7,} files {per_bytes[lang]:>13,} bytes")

    # 2. the tree
    build_tree(root, files, ctx.tree)
    say(f"page cache warm-up: {warm_page_cache(ctx.tree, files):.2f} s")

    # 3. tools
    tools, skipped = [], {}
    for name in wanted:
        t = TOOL_CLASSES[name](ctx)
        why = t.available()
        if why:
            say(f"skipping {name}: {why}")
            skipped[name] = why
            continue
        tools.append(t)
    runs = {t.name: args.runs for t in tools}
    if "jscpd4" in runs:
        runs["jscpd4"] = min(args.runs_jscpd4, args.runs)
    for t in tools:
        say(f"{t.name}: {t.version()}")
        t.prepare()
    run_round_robin(tools, runs, lambda _tool: (len(files), "files"))

    # 4. report
    md = render(ctx, tools, skipped)
    results = (args.results or ctx.work / "results.md").resolve()
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(md + "\n")
    raw = {
        "corpus": args.corpus, "started": ctx.started.isoformat(), "machine": machine_info(),
        "files": len(files), "bytes": n_bytes, "per_language_files": ctx.per_lang,
        "per_language_bytes": {k: per_bytes[k] for k in ctx.per_lang},
        "dropped": dropped, "tools": {t.name: {"label": t.label, "version": t.version(), "files_seen":
                                              t.seen, "summary": t.summary(),
                                              "runs": t.runs} for t in tools},
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
