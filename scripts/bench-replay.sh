#!/usr/bin/env bash
# Side-by-side replay benchmark on the pinned `history` corpus (datasets/history.py: a linear git
# history of 8,575 commits built from successive released versions of real packages): cpt replay
# vs `git log --raw` and `git cat-file --batch` (floors) and PyDriller 2.12. Medians of N runs,
# commits/s, changed-file entries/s, MB/s of changed blobs, peak RSS of each tool's process tree,
# wall ratios vs the floors and PyDriller; a Markdown table printed and written to a file.
#
#   scripts/bench-replay.sh                          # everything, 3 runs each
#   scripts/bench-replay.sh --runs 5 --tools cpt,git-log
#   scripts/bench-replay.sh --corpus history-js      # small JS/TS files (datasets/README.md)
#   scripts/bench-replay.sh --pydriller-timeout 300  # PyDriller past 300 s: timed on a prefix, extrapolated
#   scripts/bench-replay.sh --help                   # all options (scripts/bench/bench_replay.py)
#
# Environment: BENCH_WORK (work folder, default /tmp/cpt-bench-replay-history), CPT_BIN (default
# target/release/cpt), CPT_PEERS_DIR (default scripts/.peers), BENCH_SKIP_INSTALL=1 (do not install
# PyDriller), BENCH_NO_BUILD=1 (do not build cpt).
#
# Needs: python3 (3.11+, with venv), git 2.28+, a Rust toolchain (for cpt).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
cd "$REPO"

for arg in "$@"; do
  if [[ "$arg" == "-h" || "$arg" == "--help" ]]; then exec python3 "$HERE/bench/bench_replay.py" --help; fi
done

tools="git-log,cat-file,pydriller,cpt"
corpus="history"
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

# 1. The history (idempotent: only verifies when it is already there; the first build takes minutes).
python3 datasets/history.py "$corpus" >/dev/null

# 2. PyDriller (idempotent).
if [[ "${BENCH_SKIP_INSTALL:-0}" != 1 ]] && wants pydriller; then "$HERE/peers-install.sh" pydriller; fi

# 3. cpt itself.
CPT_BIN="${CPT_BIN:-$REPO/target/release/cpt}"
if wants cpt && [[ ! -x "$CPT_BIN" ]] && [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
  echo "bench-replay: building cpt (cargo build --release --bin cpt)" >&2
  cargo build --release --locked --bin cpt
fi
export CPT_BIN

# 4. The benchmark.
exec python3 "$HERE/bench/bench_replay.py" "$@"
