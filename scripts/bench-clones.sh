#!/usr/bin/env bash
# Clone-detection quality: cpt vs jscpd 5.3.3 (default and best settings) on the Roy & Cordy style mutation
# benchmark that datasets/clones.py builds from the pinned `bench` corpus. Recall per type, operator and
# language, precision on reported pairs; Markdown tables printed and written to WORK/results.md.
#
#   scripts/bench-clones.sh                          # 60 functions per language, seed 1
#   scripts/bench-clones.sh --per-language 20        # smaller and faster
#   scripts/bench-clones.sh --reuse-corpus           # score again without rebuilding the corpus
#   scripts/bench-clones.sh --help                   # all options (scripts/bench/bench_clones.py)
#
# Environment: CPT_BIN (default target/release/cpt), CPT_PEERS_DIR (default scripts/.peers; the virtual
# environment of the generator lives there too), BENCH_SKIP_INSTALL=1 (install nothing),
# BENCH_NO_BUILD=1 (do not build cpt).
#
# Needs: python3 (3.11+) with venv, node/npm, a Rust toolchain (for cpt).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
PEERS="${CPT_PEERS_DIR:-$HERE/.peers}"
VENV="$PEERS/clones-venv"
REQUIREMENTS="$REPO/datasets/clones-requirements.txt"
cd "$REPO"

# 1. The generator's packages, in a virtual environment of their own (idempotent: keyed by the requirements).
if [[ "${BENCH_SKIP_INSTALL:-0}" != 1 ]]; then
  if ! cmp -s "$REQUIREMENTS" "$VENV/requirements.txt" 2>/dev/null; then
    echo "bench-clones: installing $REQUIREMENTS into $VENV" >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    cp "$REQUIREMENTS" "$VENV/requirements.txt"
  fi
  "$HERE/peers-install.sh" npm
fi

# 2. cpt itself.
CPT_BIN="${CPT_BIN:-$REPO/target/release/cpt}"
if [[ ! -x "$CPT_BIN" ]] && [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
  echo "bench-clones: building cpt (cargo build --release --bin cpt)" >&2
  cargo build --release --locked --bin cpt
fi

# 3. The benchmark (it builds the corpus with datasets/clones.py first).
exec "$VENV/bin/python" "$HERE/bench/bench_clones.py" --cpt "$CPT_BIN" "$@"
