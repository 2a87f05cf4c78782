#!/usr/bin/env bash
# Side-by-side scan benchmark: cpt vs tokei, ast-grep and jscpd 5.3.3 / 4.3.0 on the `bench` corpus,
# every tool given the same explicit file set. Medians of N runs, wall time, files/s, MB/s, peak RSS
# of each tool's whole process tree, ratios vs cpt; a Markdown table printed and written to a file.
#
#   scripts/bench-scan.sh                          # everything, 5 runs each
#   scripts/bench-scan.sh --runs 3 --runs-jscpd4 3   # jscpd 4 runs once by default (slow)
#   scripts/bench-scan.sh --tools cpt,tokei --corpus small
#   scripts/bench-scan.sh --limit 500 --runs 1     # a quick smoke test on a 500-file sample
#   scripts/bench-scan.sh --help                   # all options (scripts/bench/bench_scan.py)
#
# Environment: BENCH_WORK (work folder, default /tmp/cpt-bench-<corpus>; must be outside any git
# checkout), CPT_BIN (default target/release/cpt), CPT_PEERS_DIR (default scripts/.peers),
# BENCH_SKIP_INSTALL=1 (do not install missing peers), BENCH_NO_BUILD=1 (do not build cpt).
#
# Needs: python3 (3.11+), node/npm, a Rust toolchain (for cpt and tokei), git.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
cd "$REPO"

for arg in "$@"; do
  if [[ "$arg" == "-h" || "$arg" == "--help" ]]; then exec python3 "$HERE/bench/bench_scan.py" --help; fi
done

# Which tools were asked for (to install/build only what is needed).
tools="cpt,tokei,ast-grep,jscpd5,jscpd4"
corpus="bench"
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --tools) tools="${args[$((i + 1))]}" ;;
    --tools=*) tools="${args[$i]#--tools=}" ;;
    --corpus) corpus="${args[$((i + 1))]}" ;;
    --corpus=*) corpus="${args[$i]#--corpus=}" ;;
  esac
done
wants() { [[ ",$tools," == *",$1,"* ]]; }

# 1. The corpus (idempotent: only verifies when it is already there).
python3 datasets/fetch.py "$corpus" >/dev/null

# 2. The peers (idempotent).
if [[ "${BENCH_SKIP_INSTALL:-0}" != 1 ]]; then
  if wants ast-grep || wants jscpd5 || wants jscpd4; then "$HERE/peers-install.sh" npm; fi
  if wants tokei; then "$HERE/peers-install.sh" tokei; fi
fi

# 3. cpt itself.
CPT_BIN="${CPT_BIN:-$REPO/target/release/cpt}"
if wants cpt && [[ ! -x "$CPT_BIN" ]] && [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
  echo "bench-scan: building cpt (cargo build --release --bin cpt)" >&2
  cargo build --release --locked --bin cpt
fi
export CPT_BIN

# 4. The benchmark.
exec python3 "$HERE/bench/bench_scan.py" "$@"
