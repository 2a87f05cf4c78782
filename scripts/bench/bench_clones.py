#!/usr/bin/env python3
"""Clone-detection quality: cpt vs jscpd 5.3.3 on the mutation benchmark of datasets/clones.py.

Normally started through scripts/bench-clones.sh, which installs the generator's packages and jscpd
first. Steps:

 1. Build the benchmark corpus with datasets/clones.py into WORK/corpus (outside any git checkout:
    cpt honours the enclosing repository's .gitignore).
 2. Run every tool once over it: `cpt scan` with default options, jscpd 5.3.3 at its default settings
    and at its best ones (--mode weak --ignore-identifiers --ignore-literals --max-gap-lines 3
    --similarity 0.85), JSON report.
 3. Map every reported clone to its two fragments (file, first and last line): for cpt, each pair of
    members of an exact clone group (table clone_groups) and each near-miss pair (clone_pairs); for
    jscpd, each duplicate of its report.
 4. Recall per type, operator and language: a truth pair (an original and one of its mutants) is
    found when the fragments reported between its two files cover at least half of the original
    function's lines (on the original's side).
    Precision on reported pairs: the distinct pairs of files that hold a reported clone (two
    fragments of one file are left aside and counted); a pair is correct when both files are of
    one family (an original and its mutants), false otherwise (two originals, a hard negative).
 5. Print Markdown tables and write them, with the commands, to WORK/results.md (JSON beside it).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from common import PEERS, REPO, machine_info, say, show_command, tool_version

JSCPD_BEST = ["--mode", "weak", "--ignore-identifiers", "--ignore-literals", "--max-gap-lines", "3",
              "--similarity", "0.85"]
TYPES = ("T1", "T2", "T3")
NEAR_MISS_LCS = 70  # NiCad's near-miss threshold: the share of the longer unit's normalised tokens in the LCS


@dataclass(frozen=True)
class Fragment:
    """Lines first..last (1-based, inclusive) of one file."""
    path: str
    first: int
    last: int


# --------------------------------------------------------------------------- tools

class Tool:
    """One detector: how to run it over the corpus and read the clones it reports as fragment pairs."""

    def __init__(self, name: str, label: str, cmd: list[str], out: Path):
        self.name, self.label, self.cmd, self.out = name, label, cmd, out
        self.wall_s = 0.0

    def run(self, corpus: Path, logs: Path) -> None:
        logs.mkdir(parents=True, exist_ok=True)
        start = time.monotonic()
        with open(logs / f"{self.name}.stdout", "w") as out, open(logs / f"{self.name}.stderr", "w") as err:
            rc = subprocess.run(self.cmd, cwd=corpus, stdout=out, stderr=err, check=False).returncode
        self.wall_s = time.monotonic() - start
        if rc != 0:
            tail = (logs / f"{self.name}.stderr").read_text(errors="replace")[-2000:]
            raise SystemExit(f"bench-clones: {self.name} exited {rc}:\n{tail}")

    def pairs(self) -> list[tuple[Fragment, Fragment]]:
        raise NotImplementedError


class Cpt(Tool):
    def pairs(self):
        out = []
        groups = collections.defaultdict(list)
        for row in table_state(self.out, "clone_groups"):
            groups[row["group_id"]].append(Fragment(row["path"], row["start_line"], row["end_line"]))
        for members in groups.values():
            out += [(a, b) for i, a in enumerate(members) for b in members[i + 1:]]
        for row in table_state(self.out, "clone_pairs"):
            out.append((Fragment(row["path_a"], row["start_line_a"], row["end_line_a"]),
                        Fragment(row["path_b"], row["start_line_b"], row["end_line_b"])))
        return out

    def parse_errors(self) -> list[str]:
        """Files that cpt's own parse found error nodes in, and its errors rows."""
        bad = [f"{r['path']} ({r['error_nodes']} error nodes)" for r in table_state(self.out, "files")
               if r["error_nodes"]]
        return bad + [f"{r['path']}: {r['reason']}" for r in table_state(self.out, "errors")]


class Jscpd(Tool):
    def pairs(self):
        report = json.loads((self.out / "jscpd-report.json").read_text())
        return [(jscpd_fragment(d["firstFile"]), jscpd_fragment(d["secondFile"])) for d in report["duplicates"]]


def jscpd_fragment(f: dict) -> Fragment:
    """One side of a jscpd duplicate (its file name is relative to the scanned folder)."""
    return Fragment(f["name"].removeprefix("./"), f["start"], f["end"])


def table_state(out: Path, table: str) -> list[dict]:
    """A table's rows at its last time (the sum of `diff` per row), read through the manifest."""
    manifest = json.loads((out / "_manifest.json").read_text())
    count: collections.Counter = collections.Counter()
    for part in manifest["tables"].get(table, []):
        for row in pq.read_table(out / part["file"]).to_pylist():
            diff = row.pop("diff")
            row.pop("time")
            count[tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in row.items()))] += diff
    return [dict(key) for key, n in count.items() for _ in range(n)]


# --------------------------------------------------------------------------- scoring

def covered(lines: list[tuple[int, int]], first: int, last: int) -> int:
    """How many of the lines first..last the ranges cover."""
    hit = set()
    for a, b in lines:
        hit.update(range(max(a, first), min(b, last) + 1))
    return len(hit)


def score(truth: dict, reported: list[tuple[Fragment, Fragment]]) -> dict:
    """Recall per type, operator and language; precision on reported file pairs; counts."""
    family = {p["original"]: p["family"] for p in truth["pairs"]}
    family.update({p["mutant"]: p["family"] for p in truth["pairs"]})
    family.update({n["path"]: n["path"] for n in truth["negatives"]})
    ranges = collections.defaultdict(list)  # (file, other file) -> line ranges reported in file against other
    same_file = 0
    for a, b in reported:
        if a.path == b.path:
            same_file += 1
            continue
        ranges[(a.path, b.path)].append((a.first, a.last))
        ranges[(b.path, a.path)].append((b.first, b.last))
    found = collections.Counter()
    total = collections.Counter()
    for p in truth["pairs"]:
        first, last = p["original_lines"]
        hit = covered(ranges.get((p["original"], p["mutant"]), []), first, last) * 2 >= last - first + 1
        keys = [p["type"], p["operator"], (p["lang"], p["type"])]
        if p["type"] == "T3" and p["lcs_percent"] >= NEAR_MISS_LCS:
            keys.append("T3 lcs")
        for key in keys:
            total[key] += 1
            found[key] += hit
    file_pairs = {tuple(sorted(k)) for k in ranges}
    unknown = sorted({f for pair in file_pairs for f in pair if f not in family})
    correct = sum(1 for a, b in file_pairs if family.get(a) is not None and family.get(a) == family.get(b))
    negatives = {n["path"] for n in truth["negatives"]}
    with_negative = sum(1 for a, b in file_pairs if a in negatives or b in negatives)
    return {"found": found, "total": total, "reported_pairs": len(file_pairs), "correct": correct,
            "false_with_negative": with_negative, "same_file": same_file, "fragment_pairs": len(reported),
            "unknown_files": unknown}


def ratio(n: int, d: int) -> str:
    """n / d to three decimals, or a dash when d is 0."""
    return f"{n / d:.3f}" if d else "–"


def precision(s: dict) -> str:
    """Correct reported file pairs over all of them."""
    return ratio(s["correct"], s["reported_pairs"])


def tables(tools: list[Tool], scores: dict[str, dict], truth: dict) -> str:
    """The Markdown tables: summary, per operator, per language."""
    langs = sorted({p["lang"] for p in truth["pairs"]})
    lcs_pairs = scores[tools[0].name]["total"]["T3 lcs"]
    lines = [f"| tool | T1 recall | T2 recall | T3 recall | T3 recall, LCS ≥ {NEAR_MISS_LCS} % ({lcs_pairs} pairs) "
             "| precision | reported file pairs (false; with a hard negative) | wall |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for t in tools:
        s = scores[t.name]
        rec = [ratio(s["found"][k], s["total"][k]) for k in (*TYPES, "T3 lcs")]
        false = s["reported_pairs"] - s["correct"]
        lines.append(f"| {t.label} | {' | '.join(rec)} | {precision(s)} | {s['reported_pairs']:,} "
                     f"({false:,}; {s['false_with_negative']:,}) | {t.wall_s:.1f} s |")
    lines += ["", "| type | operator | pairs | " + " | ".join(t.label for t in tools) + " |",
              "|---|---|---:|" + "---:|" * len(tools)]
    for op, kind in truth["operators"].items():
        total = scores[tools[0].name]["total"][op]
        cells = [f"{ratio(scores[t.name]['found'][op], total)}" for t in tools]
        lines.append(f"| {kind} | `{op}` | {total} | " + " | ".join(cells) + " |")
    lines += ["", "| language | pairs per type | " + " | ".join(f"{t.label}: T1 / T2 / T3" for t in tools) + " |",
              "|---|---:|" + "---|" * len(tools)]
    for lang in langs:
        per = scores[tools[0].name]["total"][(lang, "T1")]
        cells = [" / ".join(ratio(scores[t.name]["found"][(lang, k)], scores[t.name]["total"][(lang, k)])
                            for k in TYPES) for t in tools]
        lines.append(f"| {lang} | {per} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/cpt-bench-clones"),
                    help="work folder, outside any git checkout (default /tmp/cpt-bench-clones)")
    ap.add_argument("--per-language", type=int, default=60, help="original functions per language (default 60)")
    ap.add_argument("--seed", type=int, default=1, help="the generator's seed (default 1)")
    ap.add_argument("--cpt", type=Path, default=REPO / "target" / "release" / "cpt", help="the cpt binary")
    ap.add_argument("--reuse-corpus", action="store_true", help="keep WORK/corpus from an earlier run")
    ap.add_argument("--cpt-variant", action="append", default=[], metavar="OPTIONS",
                    help="also run cpt scan with these options (e.g. '--similarity 80'); repeatable")
    args = ap.parse_args()
    work = args.work.resolve()
    corpus, out = work / "corpus", work / "out"
    if not args.reuse_corpus:
        gen = [sys.executable, str(REPO / "datasets" / "clones.py"), "--out", str(corpus),
               "--per-language", str(args.per_language), "--seed", str(args.seed)]
        say(f"$ {show_command(gen, {})}")
        subprocess.run(gen, check=True, stdout=subprocess.DEVNULL)
    truth = json.loads((corpus / "truth.json").read_text())
    files = len({p["original"] for p in truth["pairs"]}) + len(truth["pairs"]) + len(truth["negatives"])
    say(f"corpus: {corpus}: {files:,} files, {len(truth['pairs']):,} truth pairs, "
        f"{len(truth['negatives']):,} hard negatives")

    # Absolute paths: the tools run inside the corpus.
    jscpd = (PEERS / "npm" / "jscpd-5.3.3" / "node_modules" / ".bin" / "jscpd").absolute()
    args.cpt = args.cpt.absolute()
    if not jscpd.exists():
        raise SystemExit(f"bench-clones: {jscpd} missing (scripts/peers-install.sh npm)")
    if not args.cpt.exists():
        raise SystemExit(f"bench-clones: {args.cpt} missing (cargo build --release --bin cpt, or --cpt)")
    jscpd_cmd = [str(jscpd), ".", "--reporters", "json", "--silent"]
    tools = [
        Cpt("cpt", "cpt scan (defaults)", [str(args.cpt), "scan", ".", "--out", str(out / "cpt"), "--overwrite"],
            out / "cpt"),
        *[Cpt(f"cpt-{n + 1}", f"cpt scan {v}", [str(args.cpt), "scan", ".", "--out", str(out / f"cpt-{n + 1}"),
                                                 "--overwrite", *shlex.split(v)], out / f"cpt-{n + 1}")
          for n, v in enumerate(args.cpt_variant)],
        Jscpd("jscpd", "jscpd 5.3.3 (defaults)", jscpd_cmd + ["--output", str(out / "jscpd")], out / "jscpd"),
        Jscpd("jscpd-best", "jscpd 5.3.3 (best)", jscpd_cmd + ["--output", str(out / "jscpd-best")] + JSCPD_BEST,
              out / "jscpd-best"),
    ]
    scores = {}
    for t in tools:
        t.run(corpus, work / "logs")
        scores[t.name] = score(truth, t.pairs())
        s = scores[t.name]
        say(f"{t.name}: {t.wall_s:.1f} s, {s['fragment_pairs']:,} fragment pairs, {s['reported_pairs']:,} file pairs "
            f"({s['same_file']} within one file left aside)")
        if s["unknown_files"]:
            raise SystemExit(f"bench-clones: {t.name} reported files outside the benchmark: {s['unknown_files'][:5]}")
    bad = tools[0].parse_errors()
    say(f"cpt's parse of the corpus: {len(bad)} files with error nodes or errors rows" +
        "".join(f"\n  {b}" for b in bad[:10]))

    names = {str(corpus): "CORPUS", str(out): "OUT", str(args.cpt): "cpt", str(jscpd): "jscpd"}
    md = "\n".join([
        f"Clone benchmark (datasets/clones.py, seed {args.seed}, {args.per_language} functions per language): "
        f"{len(truth['pairs']):,} truth pairs, {len(truth['negatives']):,} hard negatives, {files:,} files; "
        f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC on {machine_info()}; "
        f"{tool_version([str(args.cpt), '--version'])}, {tool_version([str(jscpd), '--version'])}.",
        "", tables(tools, scores, truth), "",
        f"cpt's parse of the corpus: {len(bad)} files with error nodes. Commands (run in CORPUS):", "",
        *[f"- `{show_command(t.cmd, names)}`" for t in tools],
    ])
    say("\n" + md)
    results = work / "results.md"
    results.write_text(md + "\n")
    raw = {t.name: {**{k: v for k, v in scores[t.name].items() if k not in ("found", "total")},
                    "found": {str(k): v for k, v in scores[t.name]["found"].items()},
                    "total": {str(k): v for k, v in scores[t.name]["total"].items()},
                    "wall_s": t.wall_s, "cmd": t.cmd} for t in tools}
    results.with_suffix(".json").write_text(json.dumps(raw, indent=1) + "\n")
    say(f"results: {results} (JSON beside it)")


if __name__ == "__main__":
    main()
