#!/usr/bin/env bash
# Watch benchmark: `cpt watch` on a tree of ~53,000 real source files (the `bench` corpus' file set,
# hard-linked twice): the time-0 scan, then K single-file writes, each timed from the close of the
# write until the manifest's durable_time passes it (latency minus the debounce: p50/p95/p99/max),
# then restarts (same --out without and with --overwrite). A Markdown table printed and written.
#
#   scripts/bench-watch.sh                             # 200 writes, debounce 50 ms
#   scripts/bench-watch.sh --writes 500 --debounce 20
#   scripts/bench-watch.sh --copies 1 --writes 20      # a quick check on ~27,000 files
#   scripts/bench-watch.sh --help                      # all options (scripts/bench/bench_watch.py)
#
# Environment: BENCH_WORK (work folder, default /tmp/cpt-bench-watch-bench; must be outside any git
# checkout), CPT_BIN (default target/release/cpt; it must have `cpt watch`), BENCH_NO_BUILD=1 (do
# not build cpt). DuckDB's Python package (pip install duckdb) enables the check of sampled rows.
#
# Needs: python3 (3.11+), a Rust toolchain (for cpt).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
cd "$REPO"

for arg in "$@"; do
  if [[ "$arg" == "-h" || "$arg" == "--help" ]]; then exec python3 "$HERE/bench/bench_watch.py" --help; fi
done

corpus="bench"
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --corpus) corpus="${args[$((i + 1))]}" ;;
    --corpus=*) corpus="${args[$i]#--corpus=}" ;;
  esac
done

# 1. The corpus (idempotent: only verifies when it is already there).
python3 datasets/fetch.py "$corpus" >/dev/null

# 2. cpt itself, with its watch subcommand (bench_watch.py stops with a clear message without it).
CPT_BIN="${CPT_BIN:-$REPO/target/release/cpt}"
if [[ ! -x "$CPT_BIN" ]] && [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
  echo "bench-watch: building cpt (cargo build --release --bin cpt)" >&2
  cargo build --release --locked --bin cpt
fi
export CPT_BIN

# 3. The benchmark.
exec python3 "$HERE/bench/bench_watch.py" "$@"
