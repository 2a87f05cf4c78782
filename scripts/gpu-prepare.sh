#!/usr/bin/env bash
# Makes the folder that scripts/gpu-check.sh runs from on a GPU machine without a Rust toolchain:
#
#   scripts/gpu-prepare.sh [DIR]     # default target/gpu-check
#
# It holds the stripped release `cpt` and the operators' test binary (gzipped; its GPU tests run
# on the device), 100,000 real unit vectors exported from a scan of datasets/cache/bench
# (real-100k.vec), planted threshold cases with the CPU's pairs (planted.vec, planted-cpu.txt), the
# `small` corpus for a whole scan (small.tar.gz) and the check's scripts. Built here (x86-64); the binaries load CUDA at run time, so nothing CUDA is
# needed to build them. Prints the folder's size (it must stay well under 64 MiB).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
DIR="$(mkdir -p "${1:-target/gpu-check}" && cd "${1:-target/gpu-check}" && pwd)"

cargo build --release --locked --bin cpt
tests="$(cargo test --release --locked -p cpt-operators --lib --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "cpt_operators" and m["profile"]["test"]:
        print(m["executable"])')"
# Stripped and gzipped (the release cpt is 40 MB stripped, 10 MB gzipped); gpu-check.sh unpacks them.
strip -o "$DIR/cpt" target/release/cpt
strip -o "$DIR/cpt-operators-tests" "$tests"
gzip -9 -f "$DIR/cpt" "$DIR/cpt-operators-tests"

if [[ ! -s "$DIR/real-100k.vec" ]]; then
  python3 datasets/fetch.py bench
  scan_out="$(mktemp -d)"
  target/release/cpt scan datasets/cache/bench --out "$scan_out/out" -q
  target/release/cpt similarity export "$scan_out/out" --to "$DIR/real-100k.vec" --limit 100000
  rm -rf "$scan_out"
fi

cargo run --release --locked -p cpt-operators --example similarity_vectors -- write "$DIR/planted.vec" 20000 7 90
cargo run --release --locked -p cpt-operators --example similarity_vectors -- pairs "$DIR/planted.vec" 90 50 >"$DIR/planted-cpu.txt"

# The `small` corpus (873 real files), scanned on the device through the whole dataflow.
python3 datasets/fetch.py small >/dev/null
tar -czf "$DIR/small.tar.gz" -C datasets/cache small

cp scripts/gpu-check.sh scripts/gpu/*.py "$DIR/"
du -sh "$DIR"/*
du -sh "$DIR"
