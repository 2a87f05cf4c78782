"""The file set a benchmark gives every tool, taken from a corpus of datasets/corpora.json, and the
tree that holds exactly that set (hard links into the corpus, or copies across file systems).

The set is the corpus' counted source files minus those that the tools' walkers leave out by
default anyway: paths with a hidden component, files under node_modules/ vendor/ third_party/
target/, `*.min.*` names and files over 1 MiB. Python 3.11+, standard library only.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
from pathlib import Path

from common import REPO, say

sys.path.insert(0, str(REPO / "datasets"))
import fetch  # noqa: E402  (datasets/fetch.py: the language map)

VENDOR_DIRS = {"node_modules", "vendor", "third_party", "target"}
MAX_FILE_BYTES = 1 << 20


def select_files(root: Path, listed: list[str]) -> tuple[list[tuple[str, str, int]], dict]:
    """(path, language, size) of the listed files every tool sees, and what was dropped, by reason:
    [files, bytes]."""
    keep = []
    dropped = {"hidden path": [0, 0], "vendor dir": [0, 0], "*.min.* name": [0, 0], "over 1 MiB": [0, 0]}
    for rel in listed:
        parts = rel.split("/")
        size = os.path.getsize(root / rel)
        lang = fetch.LANGUAGE_OF_EXT[os.path.splitext(rel)[1]]
        if any(p.startswith(".") for p in parts):
            why = "hidden path"
        elif any(p in VENDOR_DIRS for p in parts[:-1]):
            why = "vendor dir"
        elif ".min." in parts[-1]:
            why = "*.min.* name"
        elif size > MAX_FILE_BYTES:
            why = "over 1 MiB"
        else:
            keep.append((rel, lang, size))
            continue
        dropped[why][0] += 1
        dropped[why][1] += size
    return keep, dropped


def sample(files: list, limit: int) -> list:
    """Every k-th file, so that a small sample keeps the corpus' language mix."""
    if not limit or limit >= len(files):
        return files
    step = len(files) / limit
    return [files[int(i * step)] for i in range(limit)]


def build_tree(root: Path, files: list[tuple[str, str, int]], tree: Path, prefixes: tuple[str, ...] = ("",)) -> None:
    """Make `tree` hold exactly the files, once under each prefix (e.g. `a/`, `b/`), and check it.
    A tree built earlier from the same list is kept (a stamp file beside it records the list)."""
    listing = "\n".join(f"{r}\t{s}" for r, _l, s in files) + f"\n{root}\n{prefixes}"
    digest = hashlib.sha256(listing.encode()).hexdigest()
    stamp = tree.parent / (tree.name + ".stamp")
    if tree.is_dir() and stamp.exists() and stamp.read_text().strip() == digest:
        say(f"tree {tree} is up to date")
    else:
        if tree.exists():
            shutil.rmtree(tree)
        if stamp.exists():
            stamp.unlink()
        linked = copied = 0
        for prefix in prefixes:
            for rel, _lang, _size in files:
                dst = tree / (prefix + rel)
                dst.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(root / rel, dst)
                    linked += 1
                except OSError:
                    shutil.copy2(root / rel, dst)
                    copied += 1
        stamp.write_text(digest + "\n")
        say(f"built tree {tree}: {linked} hard links, {copied} copies")
    # Check: the tree holds exactly the listed files.
    want = {prefix + rel: size for prefix in prefixes for rel, _l, size in files}
    seen = {}
    for dirpath, _dirs, names in os.walk(tree):
        for n in names:
            p = os.path.join(dirpath, n)
            seen[os.path.relpath(p, tree)] = os.lstat(p).st_size
    if seen != want:
        extra = sorted(set(seen) - set(want))[:5]
        missing = sorted(set(want) - set(seen))[:5]
        raise SystemExit(f"tree check failed: extra {extra}, missing {missing}")


def warm_page_cache(tree: Path, files: list) -> float:
    """Read every file once (seconds taken), so that timed runs start with a warm page cache."""
    t0 = time.monotonic()
    for rel, _l, _s in files:
        with open(tree / rel, "rb") as f:
            while f.read(1 << 20):
                pass
    return time.monotonic() - t0
