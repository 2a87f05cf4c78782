#!/usr/bin/env bash
# Side-by-side benchmark of the near-miss similarity join (issue 4): `cpt similarity join` against
# faiss-cpu's exact range search on the same real unit vectors (200,000 of the `bench` corpus,
# and 100,000), their pair sets compared, and one batch of 10 changed vectors against 200,000.
# Medians of N runs; a Markdown table printed and written to WORK/results.md.
#
#   scripts/bench-similarity.sh                                   # scan the bench corpus, everything
#   scripts/bench-similarity.sh --output /tmp/cpt-out --runs 1    # the units of an existing output
#   scripts/bench-similarity.sh --help                            # all options (scripts/bench/bench_similarity.py)
#
# Environment: BENCH_WORK (work folder, default /tmp/cpt-bench-similarity), CPT_BIN (default
# target/release/cpt), CPT_PEERS_DIR (default scripts/.peers), BENCH_SKIP_INSTALL=1 (do not install
# faiss; FAISS_PYTHON then names a python that has it), BENCH_NO_BUILD=1 (do not build cpt).
#
# Needs: python3 (3.11+) with venv, a Rust toolchain.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
cd "$REPO"

for arg in "$@"; do
  if [[ "$arg" == "-h" || "$arg" == "--help" ]]; then exec python3 "$HERE/bench/bench_similarity.py" --help; fi
done

# 1. The corpus (idempotent: only verifies when it is already there).
python3 datasets/fetch.py bench >/dev/null

# 2. faiss-cpu and numpy, in a virtual environment of their own (idempotent).
if [[ "${BENCH_SKIP_INSTALL:-0}" != 1 ]]; then
  "$HERE/peers-install.sh" faiss
  export FAISS_PYTHON="${CPT_PEERS_DIR:-$HERE/.peers}/faiss-1.15.1/bin/python"
fi

# 3. cpt itself.
CPT_BIN="${CPT_BIN:-$REPO/target/release/cpt}"
if [[ ! -x "$CPT_BIN" ]] && [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
  echo "bench-similarity: building cpt (cargo build --release --bin cpt)" >&2
  cargo build --release --locked --bin cpt
fi
export CPT_BIN

# 4. The benchmark.
exec python3 "$HERE/bench/bench_similarity.py" "$@"
