#!/usr/bin/env python3
"""Build a deterministic git history from successive released versions of pinned real packages.

A corpus of datasets/corpora.json whose packages are successive versions of a few packages (e.g.
`history`) is fetched and verified by fetch.py, then turned into one linear git branch: each
package lives under `<ecosystem>/<name>/`; the packages are applied in the order they are listed;
the first version of a package is committed in small chunks, and each next version's diff against
the previous one (added, modified, deleted files) is split into small commits. Every commit
changes 1 to 5 files (the chunk sizes are derived from a hash of the package version and the chunk
number), paths are taken in sorted order, and the author, committer and dates are fixed and
increasing, so the same corpus always gives the same commit ids. The tip is pinned in
corpora.json (`history.tip`); a build whose tip differs is an error. A tag `<name>-<version>`
marks the last commit of each package version.

    python3 datasets/history.py history            # build (or verify); last stdout line = the repository
    python3 datasets/history.py history --stats    # also print commits, files, entries, bytes (Markdown)
    python3 datasets/history.py history --pin      # maintainers: record the built tip in corpora.json

The repository (bare, branch `main`) is written with `git fast-import`, repacked, and kept under
datasets/cache/histories/<corpus>.git. Python 3.11+, standard library only, git 2.28+.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fetch  # noqa: E402  (the pinned corpora: download, verify, unpack)

BRANCH = "main"
MAX_FILES_PER_COMMIT = 5
AUTHOR = b"cpt datasets <datasets@cpt.invalid>"
FIRST_COMMIT_TIME = 1_704_067_200  # 2024-01-01T00:00:00Z
SECONDS_BETWEEN_COMMITS = 3_600
STATE_VERSION = 1
# git without the user's or the system's configuration, hooks or templates.
GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0"}


def git(repo: Path, *args: str, input: bytes | None = None) -> bytes:
    """Run git on the repository `repo` and return its stdout; a failure is a FetchError."""
    res = subprocess.run(["git", "--git-dir", str(repo), *args], input=input, capture_output=True,
                         env=dict(os.environ, **GIT_ENV))
    if res.returncode != 0:
        raise fetch.FetchError(f"git {' '.join(args)} failed in {repo}: {res.stderr.decode(errors='replace')}")
    return res.stdout


# --------------------------------------------------------------------------- the plan

@dataclass
class Change:
    """One changed path of a commit: its content comes from `source`, or it is deleted (None)."""
    path: str
    source: Path | None


@dataclass
class Commit:
    """One commit to write, and the tags to put on it (the package versions it completes)."""
    subject: str
    changes: list[Change]
    tags: list[str] = field(default_factory=list)


def file_digests(root: Path) -> dict[str, str]:
    """Every regular file under root: relative path (with `/`) -> sha1 of its content."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in filenames:
            full = os.path.join(dirpath, name)
            with open(full, "rb") as f:
                data = f.read()
            out[os.path.relpath(full, root).replace(os.sep, "/")] = hashlib.sha1(data).hexdigest()
    return out


def chunk_sizes(key: str, total: int) -> list[int]:
    """Deterministic chunk sizes of 1..MAX_FILES_PER_COMMIT that add up to total."""
    sizes = []
    while total > 0:
        digest = hashlib.sha256(f"{key}:{len(sizes)}".encode()).digest()
        size = min(total, 1 + digest[0] % MAX_FILES_PER_COMMIT)
        sizes.append(size)
        total -= size
    return sizes


def plan_history(corpus_root: Path, pkgs: list[fetch.Package]) -> list[Commit]:
    """The commits that turn the listed package versions, in order, into one linear history."""
    commits: list[Commit] = []
    current: dict[tuple[str, str], tuple[str, dict[str, str]]] = {}  # (eco, name) -> (version, files)
    for pkg in pkgs:
        tree_dir = corpus_root / pkg.eco / pkg.dir_name
        files = file_digests(tree_dir)
        prefix = f"{pkg.eco}/{pkg.flat_name}/"
        previous = current.get((pkg.eco, pkg.name))
        old_files = previous[1] if previous else {}
        changes = []
        for rel in sorted(set(files) | set(old_files)):
            new, old = files.get(rel), old_files.get(rel)
            if new == old:
                continue
            if new is None:
                changes.append(Change(prefix + rel, None))
            else:
                changes.append(Change(prefix + rel, tree_dir / rel))
        what = (f"{pkg.name} {previous[0]} -> {pkg.version}" if previous else f"import {pkg.name} {pkg.version}")
        sizes = chunk_sizes(f"{pkg.eco}:{pkg.name}@{pkg.version}", len(changes))
        start = 0
        for i, size in enumerate(sizes):
            commits.append(Commit(f"{what} ({i + 1}/{len(sizes)})", changes[start:start + size]))
            start += size
        if commits:
            commits[-1].tags.append(f"{pkg.flat_name}-{pkg.version}")
        current[(pkg.eco, pkg.name)] = (pkg.version, files)
    return commits


# --------------------------------------------------------------------------- fast-import

def quote_path(path: str) -> bytes:
    """A path as a C-style quoted string, which fast-import accepts whatever the path holds."""
    out = bytearray(b'"')
    for byte in os.fsencode(path):
        if byte in (0x22, 0x5C):
            out += b"\\" + bytes([byte])
        elif byte < 0x20 or byte == 0x7F:
            out += b"\\%03o" % byte
        else:
            out.append(byte)
    out += b'"'
    return bytes(out)


def write_stream(commits: list[Commit], out) -> None:
    """Write the commits as a `git fast-import` stream (file contents inline; marks name the tagged commits)."""
    for i, c in enumerate(commits):
        when = FIRST_COMMIT_TIME + i * SECONDS_BETWEEN_COMMITS
        ident = AUTHOR + b" %d +0000\n" % when
        message = (c.subject + "\n").encode()
        out.write(b"commit refs/heads/" + BRANCH.encode() + b"\n")
        out.write(b"mark :%d\n" % (i + 1))
        out.write(b"author " + ident + b"committer " + ident)
        out.write(b"data %d\n" % len(message) + message)
        for ch in c.changes:
            if ch.source is None:
                out.write(b"D " + quote_path(ch.path) + b"\n")
                continue
            data = ch.source.read_bytes()
            out.write(b"M 100644 inline " + quote_path(ch.path) + b"\n")
            out.write(b"data %d\n" % len(data) + data + b"\n")
        out.write(b"\n")
        for tag in c.tags:
            out.write(b"reset refs/tags/" + tag.encode() + b"\nfrom :%d\n\n" % (i + 1))
    out.write(b"done\n")


def build_repository(commits: list[Commit], dest: Path, tmp_root: Path) -> str:
    """Write the commits into a fresh bare repository at dest (atomically); return the tip commit id."""
    tmp_root.mkdir(parents=True, exist_ok=True)
    tmp = tmp_root / f"{dest.name}.{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        git(tmp, "init", "--quiet", "--bare", "--template=", f"--initial-branch={BRANCH}")
        proc = subprocess.Popen(["git", "--git-dir", str(tmp), "fast-import", "--quiet", "--done"],
                                stdin=subprocess.PIPE, env=dict(os.environ, **GIT_ENV))
        try:
            write_stream(commits, proc.stdin)
            proc.stdin.close()
        except BrokenPipeError:
            pass
        if proc.wait() != 0:
            raise fetch.FetchError(f"git fast-import failed (exit {proc.returncode})")
        # fast-import's pack is loosely delta-compressed: repack it as a clone would hold it.
        git(tmp, "repack", "-a", "-d", "-f", "-q")
        git(tmp, "commit-graph", "write", "--reachable")
        git(tmp, "pack-refs", "--all")
        tip = git(tmp, "rev-parse", f"refs/heads/{BRANCH}").decode().strip()
        if dest.exists():
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, dest)
        return tip
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# --------------------------------------------------------------------------- stats

@dataclass
class Entry:
    """One changed-file entry of a commit, as `git log --raw` lists it."""
    status: str          # A, M or D
    blob: str            # the new blob id (all zeros for D)
    path: str
    size: int = 0        # the new blob's size (0 for D)


@dataclass
class HistoryStats:
    """What a history holds, counted by git itself from the repository."""
    commits: list[list[Entry]]       # the changed-file entries of each commit, oldest commit first
    tip_files: int
    tip_source_files: int
    pack_bytes: int

    def entries(self, first: int | None = None) -> list[Entry]:
        """The entries of the first `first` commits (all by default), in history order."""
        return [e for c in self.commits[:first] for e in c]

    def blob_bytes(self, first: int | None = None) -> int:
        """Bytes of the new blobs (A and M entries) of the first `first` commits."""
        return sum(e.size for e in self.entries(first))

    def markdown(self, repo: Path) -> str:
        entries = self.entries()
        by_status = {k: sum(1 for e in entries if e.status == k) for k in "AMD"}
        changed = self.blob_bytes()
        rows = [
            ("commits (first-parent, linear)", f"{len(self.commits):,}"),
            ("files at the tip", f"{self.tip_files:,}"),
            ("source files at the tip", f"{self.tip_source_files:,}"),
            ("changed-file entries (A / M / D)",
             f"{len(entries):,} ({' / '.join(f'{by_status[k]:,}' for k in 'AMD')})"),
            ("of which source files", f"{sum(1 for e in entries if is_source(e.path)):,}"),
            ("bytes of changed blobs (A + M)", f"{changed:,} ({changed / 2**20:.1f} MiB)"),
            ("pack size", f"{self.pack_bytes:,} ({self.pack_bytes / 2**20:.1f} MiB)"),
        ]
        lines = [f"History `{repo.name}`:", "", "| what | count |", "|---|---:|"]
        lines += [f"| {k} | {v} |" for k, v in rows]
        return "\n".join(lines)


def is_source(path: str) -> bool:
    return os.path.splitext(path)[1] in fetch.LANGUAGE_OF_EXT


def raw_history(repo: Path, rev: str = BRANCH) -> list[list[Entry]]:
    """The changed-file entries of each commit of rev's first-parent history, oldest first."""
    out = git(repo, "log", "--first-parent", "--reverse", "--raw", "--no-renames", "--no-abbrev",
              "--format=@%H", "-z", rev)
    commits: list[list[Entry]] = []
    records = iter(out.split(b"\0"))
    for record in records:
        text = record.lstrip(b"\n")
        if text.startswith(b"@"):
            commits.append([])
        elif text.startswith(b":"):
            # ":100644 100644 <old blob> <new blob> M", then the path as the next field
            meta = text[1:].decode().split()
            commits[-1].append(Entry(meta[4][0], meta[3], os.fsdecode(next(records))))
    return commits


def history_stats(repo: Path, rev: str = BRANCH) -> HistoryStats:
    """Count commits, tip files, changed-file entries and the sizes of their blobs with git."""
    commits = raw_history(repo, rev)
    written = [e for c in commits for e in c if e.status != "D"]
    query = "".join(sorted({e.blob + "\n" for e in written})).encode()
    sizes = {}
    for line in git(repo, "cat-file", "--batch-check=%(objectname) %(objectsize)", input=query).decode().splitlines():
        oid, size = line.split()
        sizes[oid] = int(size)
    for e in written:
        e.size = sizes[e.blob]
    tip = [os.fsdecode(p) for p in git(repo, "ls-tree", "-r", "-z", "--name-only", rev).split(b"\0") if p]
    pack_bytes = sum(p.stat().st_size for p in (repo / "objects" / "pack").glob("*.pack"))
    return HistoryStats(commits, len(tip), sum(map(is_source, tip)), pack_bytes)


# --------------------------------------------------------------------------- cache

def repository_path(cache: Path, corpus: str) -> Path:
    return cache / "histories" / f"{corpus}.git"


def state_file(cache: Path, corpus: str) -> Path:
    return cache / ".state" / "histories" / f"{corpus}.json"


def recipe(pkgs: list[fetch.Package]) -> dict:
    """What the history is made of; a cached repository built from another recipe is rebuilt."""
    return {"version": STATE_VERSION, "packages": [f"{p.spec} {p.sha256}" for p in pkgs],
            "max_files_per_commit": MAX_FILES_PER_COMMIT, "first_commit_time": FIRST_COMMIT_TIME}


def cached_tip(repo: Path, state: Path, want: dict) -> str | None:
    """The tip of the cached repository if it was built from this recipe and its branch is intact."""
    try:
        recorded = json.loads(state.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if recorded.get("recipe") != want or not repo.is_dir():
        return None
    try:
        tip = git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{BRANCH}^{{commit}}").decode().strip()
        git(repo, "fsck", "--connectivity-only", "--no-dangling", "--no-progress")
    except fetch.FetchError:
        return None
    return tip if tip == recorded.get("tip") else None


def ensure_history(manifest: dict, corpus: str, cache: Path, jobs: int, pin_mode: bool = False) -> tuple[Path, str]:
    """Build or verify the history of `corpus`; return (repository, tip)."""
    spec = manifest["corpora"].get(corpus, {})
    pinned = (spec.get("history") or {}).get("tip")
    if not pinned and not pin_mode:
        raise fetch.FetchError(f"corpus {corpus!r} has no history tip pinned in corpora.json "
                               f"(run `python3 datasets/history.py {corpus} --pin`)")
    corpus_root = fetch.build_corpus(manifest, corpus, cache, jobs)
    pkgs = fetch.corpus_packages(manifest, corpus)
    repo, state = repository_path(cache, corpus), state_file(cache, corpus)
    want = recipe(pkgs)
    tip = cached_tip(repo, state, want)
    if tip is None:
        fetch.log(f"history {corpus}: planning commits from {len(pkgs)} package versions")
        commits = plan_history(corpus_root, pkgs)
        fetch.log(f"history {corpus}: writing {len(commits):,} commits with git fast-import")
        if state.exists():
            state.unlink()
        tip = build_repository(commits, repo, cache / ".tmp")
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(json.dumps({"recipe": want, "tip": tip}) + "\n")
        fetch.log(f"history {corpus}: built {repo} (tip {tip})")
    if pinned and tip != pinned:
        raise fetch.FetchError(
            f"history {corpus}: the built tip {tip} differs from the pinned {pinned}.\n"
            "The same packages and recipe must give the same commits; if the recipe was changed on "
            f"purpose, pin the new tip with `python3 datasets/history.py {corpus} --pin`.")
    return repo, tip


def pin_tip(manifest_path: Path, manifest: dict, corpus: str, tip: str) -> None:
    entry = manifest["corpora"][corpus]
    history = dict(entry.get("history") or {})
    if history.get("tip") == tip:
        fetch.log(f"history {corpus}: tip {tip} already pinned")
        return
    history.update(branch=BRANCH, tip=tip)
    entry["history"] = history
    fetch.write_manifest(manifest_path, manifest)
    fetch.log(f"history {corpus}: pinned tip {tip} in {manifest_path}")


# --------------------------------------------------------------------------- main

def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("corpus", help="a corpus of the manifest whose packages are successive versions (e.g. history)")
    ap.add_argument("--manifest", type=Path, default=fetch.DEFAULT_MANIFEST)
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get("CPT_DATASETS_CACHE", fetch.DEFAULT_CACHE)),
                    help="cache directory (default: datasets/cache, or $CPT_DATASETS_CACHE)")
    ap.add_argument("-j", "--jobs", type=int, default=4, help="parallel downloads/unpacks (default 4)")
    ap.add_argument("--stats", action="store_true", help="print what the history holds (Markdown)")
    ap.add_argument("--pin", action="store_true", help="record the built tip in the manifest (maintainers)")
    args = ap.parse_args(argv)
    cache = args.cache.resolve()
    try:
        manifest = fetch.load_manifest(args.manifest)
        if args.pin:
            fetch.pin(args.manifest, cache, [args.corpus], args.jobs)
            manifest = fetch.load_manifest(args.manifest)
        repo, tip = ensure_history(manifest, args.corpus, cache, args.jobs, pin_mode=args.pin)
        if args.pin:
            pin_tip(args.manifest, manifest, args.corpus, tip)
        if args.stats:
            print(history_stats(repo).markdown(repo))
            print()
        print(repo)
        return 0
    except fetch.FetchError as e:
        print(f"history.py: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
