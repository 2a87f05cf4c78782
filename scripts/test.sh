#!/usr/bin/env bash
# The test suite, runnable on a fresh machine: installs what the tests need (DuckDB's Python
# package; the clone benchmark generator's tree-sitter bindings), builds the real corpora they read
# (datasets/fetch.py, pinned packages), checks the clone benchmark's generator on them, then runs
# every test of the workspace. Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import duckdb' 2>/dev/null || python3 -m pip install --quiet 'duckdb==2.0.0'
python3 -c 'import tree_sitter_rust, pyarrow' 2>/dev/null ||
  python3 -m pip install --quiet -r datasets/clones-requirements.txt
python3 datasets/fetch.py small >/dev/null
python3 -m unittest datasets/test_clones.py
cargo test --workspace --locked "$@"
