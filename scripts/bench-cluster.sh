#!/usr/bin/env bash
# Scaling of cpt on this machine: scan of the bench corpus and replay of the history corpus up to
# a tag, as 1 process x 1 worker, 1 x 2 and 2 x 1 (loopback), cold; wall, rate, peak RSS and
# bytes exchanged between processes per file and per commit (scripts/bench/bench_cluster.py).
#
#   scripts/bench-cluster.sh [--runs N] [--branch numpy-1.26.0]
#
# Environment: CPT_BIN (default target/release/cpt), BENCH_NO_BUILD=1 (do not build cpt).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
cd "$REPO"
branch=numpy-1.26.0
runs=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --branch) branch=$2; shift 2 ;;
    *) echo "unknown option $1; write --runs N or --branch REF" >&2; exit 2 ;;
  esac
done
[[ -n "${BENCH_NO_BUILD:-}" ]] || cargo build --release --locked
corpus=$(python3 datasets/fetch.py bench | tail -n1)
history=$(python3 datasets/history.py history | tail -n1)
exec python3 "$HERE/bench/bench_cluster.py" --cpt "${CPT_BIN:-$REPO/target/release/cpt}" \
  --corpus "$corpus" --history "$history" --branch "$branch" --runs "$runs"
