#!/usr/bin/env python3
"""Build the pinned source corpora described in datasets/corpora.json.

Every package is pinned as name@version with the sha256 of its archive.  An
archive is downloaded once into datasets/cache/downloads/<ecosystem>/, verified,
and unpacked (safely: regular files and directories only, nothing escaping the
target) into datasets/cache/<corpus>/<ecosystem>/<name>-<version>/.

    python3 datasets/fetch.py small              # build one corpus; last stdout line = its root
    python3 datasets/fetch.py bench --stats      # also print per-language counts (Markdown)
    python3 datasets/fetch.py bench --list F     # also write the corpus' source files to F
    python3 datasets/fetch.py --pin              # fill in missing sha256 pins (maintainers)

Python 3.11+, standard library only.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import http.client
import json
import os
import shutil
import stat
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

HERE = Path(__file__).resolve().parent
DEFAULT_MANIFEST = HERE / "corpora.json"
DEFAULT_CACHE = HERE / "cache"
USER_AGENT = "cpt-datasets-fetch/1 (python-urllib)"
ECOSYSTEMS = ("crates", "pypi", "npm")
STATE_VERSION = 1

# The extensions counted as source files, and the language each one belongs to.
LANGUAGE_OF_EXT = {
    ".rs": "Rust",
    ".py": "Python", ".pyi": "Python",
    ".js": "JavaScript", ".mjs": "JavaScript", ".cjs": "JavaScript", ".jsx": "JavaScript",
    ".ts": "TypeScript", ".mts": "TypeScript", ".cts": "TypeScript",
    ".tsx": "TSX",
    ".go": "Go",
    ".java": "Java",
    ".c": "C", ".h": "C",
    ".cc": "C++", ".cpp": "C++", ".cxx": "C++", ".hh": "C++", ".hpp": "C++", ".hxx": "C++",
}
LANGUAGES = ("Rust", "Python", "JavaScript", "TypeScript", "TSX", "Go", "Java", "C", "C++")

# Guards against hostile or broken archives.
MAX_ARCHIVE_MEMBERS = 500_000
MAX_UNPACKED_BYTES = 4 << 30

_print_lock = threading.Lock()


class FetchError(Exception):
    """A failure that should stop the run with a clear message."""


def log(msg: str) -> None:
    with _print_lock:
        print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- manifest

class Package:
    def __init__(self, corpus: str, entry: dict):
        self.corpus = corpus
        self.entry = entry
        try:
            self.eco = entry["ecosystem"]
            self.name = entry["name"]
            self.version = entry["version"]
        except KeyError as e:
            raise FetchError(f"corpus {corpus!r}: package entry {entry!r} lacks {e}") from None
        if self.eco not in ECOSYSTEMS:
            raise FetchError(f"corpus {corpus!r}: unknown ecosystem {self.eco!r} for {self.name}")
        for part in (self.name, self.version):
            if not part or ".." in part or part.startswith(("/", ".")) or "\\" in part:
                raise FetchError(f"corpus {corpus!r}: suspicious package name/version {part!r}")
        self.sha256 = (entry.get("sha256") or "").lower()
        # Optional path prefixes (relative to the package root) to keep; all files when empty.
        self.include = [p.strip("/") for p in entry.get("include", []) if p.strip("/")]

    @property
    def spec(self) -> str:
        return f"{self.eco}:{self.name}@{self.version}"

    @property
    def flat_name(self) -> str:
        # "@scope/name" -> "scope__name"
        return self.name.lstrip("@").replace("/", "__")

    @property
    def dir_name(self) -> str:
        return f"{self.flat_name}-{self.version}"

    def download_path(self, cache: Path) -> Path:
        ext = {"crates": ".crate", "npm": ".tgz", "pypi": ".sdist"}[self.eco]
        return cache / "downloads" / self.eco / f"{self.flat_name}-{self.version}{ext}"

    def url(self) -> str:
        q = urllib.parse.quote
        if self.eco == "crates":
            return f"https://static.crates.io/crates/{q(self.name)}/{q(self.name)}-{q(self.version)}.crate"
        if self.eco == "npm":
            base = self.name.split("/")[-1]
            return f"https://registry.npmjs.org/{q(self.name, safe='@/')}/-/{q(base)}-{q(self.version)}.tgz"
        return resolve_pypi_sdist(self.name, self.version)[0]


def load_manifest(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise FetchError(f"manifest not found: {path}") from None
    except json.JSONDecodeError as e:
        raise FetchError(f"manifest {path} is not valid JSON: {e}") from None
    if not isinstance(data.get("corpora"), dict):
        raise FetchError(f"manifest {path} has no 'corpora' object")
    return data


def corpus_packages(manifest: dict, corpus: str) -> list[Package]:
    if corpus not in manifest["corpora"]:
        known = ", ".join(sorted(manifest["corpora"]))
        raise FetchError(f"unknown corpus {corpus!r} (known: {known})")
    pkgs = [Package(corpus, e) for e in manifest["corpora"][corpus]["packages"]]
    seen = set()
    for p in pkgs:
        key = (p.eco, p.dir_name)
        if key in seen:
            raise FetchError(f"corpus {corpus!r} lists {p.spec} twice")
        seen.add(key)
    return pkgs


def write_manifest(path: Path, data: dict) -> None:
    """Write the manifest with one package per line (stable, diff-friendly)."""
    out = ["{"]
    top = [(k, v) for k, v in data.items() if k != "corpora"]
    for k, v in top:
        out.append(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)},")
    out.append('  "corpora": {')
    names = list(data["corpora"])
    for i, cname in enumerate(names):
        corpus = data["corpora"][cname]
        out.append(f"    {json.dumps(cname)}: {{")
        for k, v in corpus.items():
            if k != "packages":
                out.append(f"      {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)},")
        out.append('      "packages": [')
        pk = corpus["packages"]
        for j, e in enumerate(pk):
            comma = "," if j + 1 < len(pk) else ""
            out.append(f"        {json.dumps(e, ensure_ascii=False)}{comma}")
        out.append("      ]")
        out.append("    }" + ("," if i + 1 < len(names) else ""))
    out.append("  }")
    out.append("}")
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text("\n".join(out) + "\n", encoding="utf-8")
    os.replace(tmp, path)


# --------------------------------------------------------------------------- network

def http_get(url: str, dest: Path | None = None, attempts: int = 5, timeout: float = 60.0) -> bytes | None:
    """GET url (into dest if given, else return the body), retrying network errors."""
    delay = 1.0
    for attempt in range(1, attempts + 1):
        try:
            req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                if dest is None:
                    return resp.read()
                with open(dest, "wb") as f:
                    shutil.copyfileobj(resp, f, 1 << 20)
                return None
        except urllib.error.HTTPError as e:
            retryable = e.code in (408, 425, 429) or e.code >= 500
            if not retryable or attempt == attempts:
                raise FetchError(f"GET {url} failed: HTTP {e.code} {e.reason}") from None
            err = f"HTTP {e.code}"
        except (urllib.error.URLError, http.client.HTTPException, OSError, TimeoutError) as e:
            if attempt == attempts:
                raise FetchError(f"GET {url} failed after {attempts} attempts: {e}") from None
            err = str(e)
        log(f"  retry {attempt}/{attempts - 1} for {url} in {delay:.0f}s ({err})")
        time.sleep(delay)
        delay = min(delay * 2, 30.0)
    raise AssertionError("unreachable")


_pypi_cache: dict[str, dict] = {}
_pypi_lock = threading.Lock()


def resolve_pypi_sdist(name: str, version: str) -> tuple[str, str | None]:
    """Return (sdist URL, PyPI's sha256 for it) via the PyPI JSON API."""
    q = urllib.parse.quote
    files = None
    vurl = f"https://pypi.org/pypi/{q(name)}/{q(version)}/json"
    try:
        files = json.loads(http_get(vurl))["urls"]
        base = vurl
    except FetchError as e:
        if "HTTP 404" not in str(e):
            raise
    if files is None:
        # Some PyPI front-ends only serve the per-project document; use its release list.
        purl = f"https://pypi.org/pypi/{q(name)}/json"
        with _pypi_lock:
            doc = _pypi_cache.get(purl)
        if doc is None:
            doc = json.loads(http_get(purl))
            with _pypi_lock:
                _pypi_cache[purl] = doc
        if version not in doc.get("releases", {}):
            raise FetchError(f"PyPI has no release {name}=={version}")
        files = doc["releases"][version]
        base = purl
    sdists = [f for f in files if f.get("packagetype") == "sdist"]
    if not sdists:
        raise FetchError(f"PyPI release {name}=={version} has no sdist")
    sdists.sort(key=lambda f: (not f["filename"].endswith(".tar.gz"), f["filename"]))
    chosen = sdists[0]
    return urllib.parse.urljoin(base, chosen["url"]), chosen.get("digests", {}).get("sha256")


def sha256_file(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def ensure_download(pkg: Package, cache: Path, pin_mode: bool = False) -> tuple[Path, str]:
    """Make sure the verified archive is in the cache; return (path, sha256)."""
    path = pkg.download_path(cache)
    if path.exists():
        got = sha256_file(path)
        if not pkg.sha256 and pin_mode:
            return path, got
        if got == pkg.sha256:
            return path, got
        log(f"  cached archive {path.name} does not match its pin; downloading it again")
        path.unlink()
    if not pkg.sha256 and not pin_mode:
        raise FetchError(f"{pkg.spec} has no sha256 pin in the manifest (run with --pin to compute it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    url = pkg.url()
    log(f"  download {pkg.spec} <- {url}")
    part = path.with_name(f"{path.name}.part.{os.getpid()}.{threading.get_ident()}")
    http_get(url, part)
    got = sha256_file(part)
    if pkg.sha256 and got != pkg.sha256:
        part.unlink()
        raise FetchError(
            f"sha256 mismatch for {pkg.spec}\n"
            f"  url:      {url}\n"
            f"  expected: {pkg.sha256}  (pinned in corpora.json)\n"
            f"  got:      {got}\n"
            "The registry served different bytes than the pinned ones; refusing to use them."
        )
    os.replace(part, path)
    return path, got


# --------------------------------------------------------------------------- unpacking

def _safe_relpath(name: str, spec: str) -> PurePosixPath | None:
    """Validate an archive member name; None for entries to ignore (e.g. '.')."""
    if "\x00" in name:
        raise FetchError(f"{spec}: archive member name contains NUL: {name!r}")
    name = name.replace("\\", "/")
    p = PurePosixPath(name)
    if p.is_absolute() or name.startswith("/"):
        raise FetchError(f"{spec}: archive member has an absolute path: {name!r}")
    parts = [x for x in p.parts if x not in ("", ".")]
    if any(x == ".." for x in parts):
        raise FetchError(f"{spec}: archive member escapes the target directory: {name!r}")
    if not parts:
        return None
    return PurePosixPath(*parts)


def _members(archive: Path, spec: str):
    """Yield (relpath, kind, size, mtime, opener) for each archive member.

    kind is 'file', 'dir' or 'other' (symlinks, hard links, devices, fifos: skipped).
    """
    with open(archive, "rb") as f:
        magic = f.read(4)
    if magic.startswith(b"PK"):
        with zipfile.ZipFile(archive) as z:
            infos = z.infolist()
            if len(infos) > MAX_ARCHIVE_MEMBERS:
                raise FetchError(f"{spec}: archive has too many members ({len(infos)})")
            for info in infos:
                rel = _safe_relpath(info.filename, spec)
                if rel is None:
                    continue
                mode = info.external_attr >> 16
                if info.is_dir():
                    kind = "dir"
                elif mode and (mode & 0o170000) != 0 and not stat.S_ISREG(mode):
                    kind = "other"
                else:
                    kind = "file"
                mtime = time.mktime(info.date_time + (0, 0, -1)) if info.date_time[0] >= 1980 else 0
                yield rel, kind, info.file_size, mtime, (lambda i=info: z.open(i))
        return
    try:
        tf = tarfile.open(archive, mode="r:*")
    except tarfile.TarError as e:
        raise FetchError(f"{spec}: cannot read archive {archive}: {e}") from None
    with tf:
        count = 0
        for m in tf:
            count += 1
            if count > MAX_ARCHIVE_MEMBERS:
                raise FetchError(f"{spec}: archive has too many members")
            rel = _safe_relpath(m.name, spec)
            if rel is None:
                continue
            kind = "file" if m.isreg() else "dir" if m.isdir() else "other"
            yield rel, kind, m.size, m.mtime, (lambda m=m: tf.extractfile(m))


def _included(rel: str, kind: str, include: list[str]) -> bool:
    for p in include:
        if rel == p or rel.startswith(p + "/"):
            return True
        if kind == "dir" and p.startswith(rel + "/"):
            return True  # an ancestor directory of an included path
    return False


def unpack(pkg: Package, archive: Path, dest: Path) -> tuple[int, int]:
    """Unpack archive into the fresh directory dest; return (files, skipped)."""
    # First pass: decide whether to strip a single common top-level directory.
    tops = set()
    for rel, kind, _size, _mtime, _open in _members(archive, pkg.spec):
        if kind == "dir" and len(rel.parts) == 1:
            tops.add(rel.parts[0])
            continue
        tops.add(rel.parts[0] if len(rel.parts) > 1 else None)
        if len(tops) > 1:
            break
    strip = len(tops) == 1 and None not in tops

    dest.mkdir(parents=True)
    dest_real = os.path.realpath(dest)
    files = skipped = 0
    total = 0
    dir_mtimes = []
    for rel, kind, size, mtime, opener in _members(archive, pkg.spec):
        parts = rel.parts[1:] if strip else rel.parts
        if not parts:
            continue
        rel = PurePosixPath(*parts)
        if pkg.include and not _included(str(rel), kind, pkg.include):
            continue
        if kind == "other":
            skipped += 1
            continue
        target = dest.joinpath(*parts)
        parent_real = os.path.realpath(target.parent if kind == "file" else target)
        if parent_real != dest_real and not parent_real.startswith(dest_real + os.sep):
            raise FetchError(f"{pkg.spec}: member {rel} would be written outside {dest}")
        if kind == "dir":
            target.mkdir(parents=True, exist_ok=True)
            dir_mtimes.append((target, mtime))
            continue
        total += size
        if total > MAX_UNPACKED_BYTES:
            raise FetchError(f"{pkg.spec}: archive unpacks to more than {MAX_UNPACKED_BYTES} bytes")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_dir() and not target.is_symlink():
            raise FetchError(f"{pkg.spec}: member {rel} is both a file and a directory")
        src = opener()
        if src is None:
            skipped += 1
            continue
        with src, open(target, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
        os.chmod(target, 0o644)
        os.utime(target, (mtime, mtime))
        files += 1
    for d, mtime in reversed(dir_mtimes):
        try:
            os.utime(d, (mtime, mtime))
        except OSError:
            pass
    return files, skipped


def tree_fingerprint(root: Path) -> tuple[str, int]:
    """Cheap fingerprint of a tree: hash of (path, size, mtime_ns) of every entry."""
    h = hashlib.sha256()
    n = 0
    stack = [(str(root), "")]
    entries = []
    while stack:
        d, prefix = stack.pop()
        with os.scandir(d) as it:
            for e in it:
                st = e.stat(follow_symlinks=False)
                rel = prefix + e.name
                if stat.S_ISDIR(st.st_mode):
                    stack.append((e.path, rel + "/"))
                    entries.append(f"d {rel}")
                else:
                    kind = "f" if stat.S_ISREG(st.st_mode) else "x"
                    entries.append(f"{kind} {rel} {st.st_size} {st.st_mtime_ns}")
                    n += 1
    entries.sort()
    for line in entries:
        h.update(line.encode("utf-8", "surrogateescape"))
        h.update(b"\n")
    return h.hexdigest(), n


def state_path(cache: Path, pkg: Package) -> Path:
    return cache / ".state" / pkg.corpus / pkg.eco / f"{pkg.dir_name}.json"


def build_package(pkg: Package, cache: Path) -> str:
    """Ensure pkg is downloaded, verified and unpacked; return a status word."""
    dest = cache / pkg.corpus / pkg.eco / pkg.dir_name
    sp = state_path(cache, pkg)
    want = {"version": STATE_VERSION, "sha256": pkg.sha256, "include": pkg.include}
    archive = pkg.download_path(cache)
    if sp.exists() and dest.is_dir():
        try:
            state = json.loads(sp.read_text())
        except (OSError, json.JSONDecodeError):
            state = {}
        if all(state.get(k) == v for k, v in want.items()):
            fp, _n = tree_fingerprint(dest)
            if fp == state.get("tree"):
                if archive.exists() and sha256_file(archive) != pkg.sha256:
                    log(f"  {pkg.spec}: cached archive is corrupt; removing it (tree is intact)")
                    archive.unlink()
                return "ok"
            log(f"  {pkg.spec}: unpacked tree was modified; unpacking it again")
    if not pkg.sha256:
        raise FetchError(f"{pkg.spec} has no sha256 pin in the manifest (run with --pin to compute it)")
    archive, _ = ensure_download(pkg, cache)
    tmp_root = cache / ".tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    tmp = tmp_root / f"{pkg.corpus}.{pkg.eco}.{pkg.dir_name}.{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        files, skipped = unpack(pkg, archive, tmp)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise FetchError(f"{pkg.spec}: unpacking {archive} failed: {e}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if files == 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise FetchError(f"{pkg.spec}: nothing was unpacked (check its 'include' filter)")
    if sp.exists():
        sp.unlink()
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, dest)
    fp, _n = tree_fingerprint(dest)
    sp.parent.mkdir(parents=True, exist_ok=True)
    sp.write_text(json.dumps(dict(want, tree=fp, files=files)) + "\n")
    note = f", skipped {skipped} links/special entries" if skipped else ""
    log(f"  unpacked {pkg.spec}: {files} files{note}")
    return "unpacked"


def remove_stale(cache: Path, corpus: str, pkgs: list[Package]) -> None:
    root = cache / corpus
    wanted = {(p.eco, p.dir_name) for p in pkgs}
    if not root.is_dir():
        return
    for eco_dir in root.iterdir():
        if eco_dir.name not in ECOSYSTEMS or not eco_dir.is_dir() or eco_dir.is_symlink():
            log(f"  removing stray {eco_dir} (not part of the manifest)")
            if eco_dir.is_dir() and not eco_dir.is_symlink():
                shutil.rmtree(eco_dir)
            else:
                eco_dir.unlink()
            continue
        for d in eco_dir.iterdir():
            if (eco_dir.name, d.name) not in wanted:
                log(f"  removing {d} (no longer in the manifest)")
                if d.is_dir() and not d.is_symlink():
                    shutil.rmtree(d)
                else:
                    d.unlink()
                st = cache / ".state" / corpus / eco_dir.name / f"{d.name}.json"
                if st.exists():
                    st.unlink()


def build_corpus(manifest: dict, corpus: str, cache: Path, jobs: int) -> Path:
    pkgs = corpus_packages(manifest, corpus)
    remove_stale(cache, corpus, pkgs)
    t0 = time.monotonic()
    counts: dict[str, int] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futs = {pool.submit(build_package, p, cache): p for p in pkgs}
        errors = []
        for fut in concurrent.futures.as_completed(futs):
            try:
                status = fut.result()
                counts[status] = counts.get(status, 0) + 1
            except FetchError as e:
                errors.append(str(e))
        if errors:
            raise FetchError("\n".join(errors))
    summary = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
    log(f"corpus {corpus}: {len(pkgs)} packages ({summary}) in {time.monotonic() - t0:.2f}s")
    return cache / corpus


# --------------------------------------------------------------------------- listing / stats

def source_files(root: Path) -> list[tuple[str, str, int]]:
    """(relative path, language, size) of every counted source file under root, sorted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in filenames:
            lang = LANGUAGE_OF_EXT.get(os.path.splitext(fn)[1])
            if lang is None:
                continue
            full = os.path.join(dirpath, fn)
            st = os.lstat(full)
            if not stat.S_ISREG(st.st_mode):
                continue
            out.append((os.path.relpath(full, root), lang, st.st_size))
    out.sort()
    return out


def stats_markdown(root: Path, pkgs: list[Package]) -> str:
    files = source_files(root)
    by_lang: dict[str, list[int]] = {lang: [0, 0] for lang in LANGUAGES}
    for _rel, lang, size in files:
        by_lang[lang][0] += 1
        by_lang[lang][1] += size
    all_files = all_bytes = 0
    for dirpath, _dirs, filenames in os.walk(root):
        for fn in filenames:
            all_files += 1
            all_bytes += os.lstat(os.path.join(dirpath, fn)).st_size
    lines = ["| language | files | bytes | MiB |", "|---|---:|---:|---:|"]
    for lang in LANGUAGES:
        n, b = by_lang[lang]
        if n:
            lines.append(f"| {lang} | {n:,} | {b:,} | {b / 2**20:.1f} |")
    tn = sum(v[0] for v in by_lang.values())
    tb = sum(v[1] for v in by_lang.values())
    lines.append(f"| **source total** | **{tn:,}** | **{tb:,}** | **{tb / 2**20:.1f}** |")
    lines.append(f"| all files (incl. docs, data) | {all_files:,} | {all_bytes:,} | {all_bytes / 2**20:.1f} |")
    lines.append("")
    lines.append("| package | source files | languages |")
    lines.append("|---|---:|---|")
    for p in pkgs:
        prefix = f"{p.eco}/{p.dir_name}/"
        mine = [(lang, size) for rel, lang, size in files if rel.startswith(prefix)]
        per: dict[str, int] = {}
        for lang, _ in mine:
            per[lang] = per.get(lang, 0) + 1
        langs = ", ".join(f"{k} {v:,}" for k, v in sorted(per.items(), key=lambda kv: -kv[1]))
        lines.append(f"| {p.eco}: `{p.name}@{p.version}` | {len(mine):,} | {langs} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- pinning

def pin(manifest_path: Path, cache: Path, corpora: list[str], jobs: int) -> None:
    manifest = load_manifest(manifest_path)
    todo = []
    for cname in corpora or list(manifest["corpora"]):
        for p in corpus_packages(manifest, cname):
            if not p.sha256:
                todo.append(p)
    if not todo:
        log("every package already has a sha256 pin")
        return

    def one(p: Package) -> tuple[Package, str]:
        _path, digest = ensure_download(p, cache, pin_mode=True)
        if p.eco == "pypi":
            _url, pypi_digest = resolve_pypi_sdist(p.name, p.version)
            if pypi_digest and pypi_digest != digest:
                raise FetchError(f"{p.spec}: downloaded sha256 {digest} differs from PyPI's {pypi_digest}")
        return p, digest

    by_key: dict[str, list[Package]] = {}
    for p in todo:
        by_key.setdefault(p.spec, []).append(p)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for p, digest in pool.map(one, [group[0] for group in by_key.values()]):
            for q in by_key[p.spec]:
                q.entry["sha256"] = digest
            log(f"  pinned {p.spec} sha256={digest}")
    write_manifest(manifest_path, manifest)
    log(f"wrote {len(todo)} pins to {manifest_path}")


# --------------------------------------------------------------------------- main

def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="*", help="corpus name(s) from the manifest (e.g. small, bench)")
    ap.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get("CPT_DATASETS_CACHE", DEFAULT_CACHE)),
                    help="cache directory (default: datasets/cache, or $CPT_DATASETS_CACHE)")
    ap.add_argument("-j", "--jobs", type=int, default=4, help="parallel downloads/unpacks (default 4)")
    ap.add_argument("--stats", action="store_true", help="print per-language file counts and bytes (Markdown)")
    ap.add_argument("--list", type=Path, metavar="FILE",
                    help="write the corpus' counted source files (paths relative to its root) to FILE")
    ap.add_argument("--pin", action="store_true",
                    help="download packages lacking a sha256 and write their hashes into the manifest")
    ap.add_argument("--list-corpora", action="store_true", help="print the corpora in the manifest")
    args = ap.parse_args(argv)
    cache = args.cache.resolve()
    try:
        if args.pin:
            pin(args.manifest, cache, args.corpus, args.jobs)
            if not args.corpus:
                return 0
        manifest = load_manifest(args.manifest)
        if args.list_corpora:
            for name, c in manifest["corpora"].items():
                print(f"{name}\t{len(c['packages'])} packages\t{c.get('description', '')}")
            return 0
        if not args.corpus:
            ap.error("name a corpus (known: " + ", ".join(sorted(manifest["corpora"])) + ")")
        if args.list and len(args.corpus) != 1:
            ap.error("--list needs exactly one corpus")
        roots = []
        for cname in args.corpus:
            root = build_corpus(manifest, cname, cache, args.jobs)
            roots.append(root)
            if args.stats:
                print(f"## corpus `{cname}`\n")
                print(stats_markdown(root, corpus_packages(manifest, cname)))
                print()
            if args.list:
                files = source_files(root)
                args.list.parent.mkdir(parents=True, exist_ok=True)
                args.list.write_text("".join(rel + "\n" for rel, _l, _s in files), encoding="utf-8")
                log(f"wrote {len(files)} source files to {args.list}")
        for root in roots:
            print(root)
        return 0
    except FetchError as e:
        print(f"fetch.py: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
