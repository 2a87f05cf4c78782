#!/usr/bin/env bash
# The test suite, runnable on a fresh machine: installs what the tests need (DuckDB's Python
# package), builds the real corpora they read (datasets/fetch.py, pinned packages), then runs
# every test of the workspace. Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import duckdb' 2>/dev/null || python3 -m pip install --quiet 'duckdb==2.0.0'
python3 datasets/fetch.py small >/dev/null
cargo test --workspace --locked "$@"
