#!/usr/bin/env bash
# The GPU join's check on a machine with a GPU and no Rust toolchain (ARCHITECTURE §4a):
#
#   scripts/gpu-check.sh DIR        # DIR: what scripts/gpu-prepare.sh made (cpt.gz, cpt-operators-tests.gz,
#                                   #      real-100k.vec, planted.vec and planted-cpu.txt, these scripts);
#                                   #      results also under $OUT if set
#
# 1. Identical pairs, GPU vs CPU: the operators' GPU tests on the device (the kernels compiled by the
#    machine's NVRTC, planted pairs exactly at the
#    integer threshold and one step either side for θ = 1..100, random incremental batches against an
#    i128 oracle, more hits than the first hit buffer, the memory bound), on both device paths; the
#    self-join of 100,000 real unit vectors, pair for pair; planted.vec (the threshold cases, extreme
#    vectors and near-threshold clusters, with the CPU's pairs made beside it); 1,000,000 random vectors with 1 % planted
#    near-duplicates, on both paths, against the CPU on the first 10,000 rows as queries; a whole
#    `cpt scan` of the `small` corpus with --gpu on and --gpu off: the same units, groups and pairs.
# 2. A table: self-join time for N = 100k and 1M at D = 128, θ = 0.9, pairs, effective TOPS
#    (2·128·N(N−1)/2 operations over the time), and 10,000 changed vectors against 1M resident.
# 3. The torch yardstick (fp16 GEMM then threshold per 8,192-row block) in the same run, and the bars:
#    1M self-join ≥ 4× faster than torch and < 1.5 s (H200), 10,000 changed vs 1M < 20 ms.
#
# Every step runs under a time limit and a failed check does not stop the later ones (device time is
# scarce: one run should say everything); the script lists the failures at the end and exits 1 if any.
# Needs: python3 with numpy and torch (CUDA), nvidia-smi. Runs in well under 4 minutes on an H100.
set -uo pipefail

DIR="$(cd "${1:?usage: scripts/gpu-check.sh DIR (made by scripts/gpu-prepare.sh)}" && pwd)"
WORK="$(mktemp -d)"
for binary in cpt cpt-operators-tests; do
  gunzip -c "$DIR/$binary.gz" >"$WORK/$binary"
  chmod +x "$WORK/$binary"
done
CPT="$WORK/cpt"
RESULTS="$WORK/results.jsonl"
trap 'if [[ -n "${OUT:-}" ]]; then cp -r "$WORK"/*.jsonl "$WORK"/*.md "$WORK"/*.log "$OUT"/ 2>/dev/null || true; fi' EXIT

# cpt loads libnvrtc and libcublas at run time; torch's wheels carry both, so their folders are put on
# the search path in case the system's CUDA does not name them as cpt looks for them.
torch_libs="$(python3 -c '
import importlib, os
dirs = []
for name in ("nvidia.cuda_nvrtc", "nvidia.cublas"):
    try:
        dirs.append(os.path.join(list(importlib.import_module(name).__path__)[0], "lib"))
    except ImportError:
        pass
print(":".join(dirs))')"
export LD_LIBRARY_PATH="${torch_libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export RUST_LOG="${RUST_LOG:-info}"

FAILURES=()
step() { echo; echo "== $*"; }
fail() { echo "FAIL: $*"; FAILURES+=("$*"); }
# Runs a command under a time limit (seconds), failing the check when it fails or runs out of time.
limited() {
  local seconds="$1"; shift
  timeout "$seconds" "$@" || { fail "exit $? from: $*"; return 1; }
}
# Fails unless two sorted pair files are identical (compare.py then prints the first differences).
same_pairs() {
  if cmp -s "$1" "$2"; then echo "identical: $(wc -l <"$1") pairs ($1 = $2)"; else python3 "$DIR/compare.py" "$1" "$2"; fail "pairs differ: $1 $2"; fi
}
# Runs a cpt command (at most 90 s) that prints one JSON line, tags it and appends it to the results.
record() {
  local label="$1"; shift
  local line
  if ! line="$(timeout 90 "$CPT" "$@" 2>>"$WORK/cpt.log" | tail -n 1)" || [[ -z "$line" ]]; then
    fail "$label: cpt $* (see cpt.log)"; tail -n 5 "$WORK/cpt.log"; return 1
  fi
  echo "$label: $line"
  python3 -c 'import json, sys; row = json.loads(sys.argv[2]); row["label"] = sys.argv[1]; print(json.dumps(row))' \
    "$label" "$line" >>"$RESULTS"
}

step "device"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$WORK/device.log"

step "1a. the operators' GPU tests on the device (both paths)"
timeout 150 "$WORK/cpt-operators-tests" gpu --test-threads 1 --nocapture 2>&1 | tee "$WORK/tests.log"
[[ "${PIPESTATUS[0]}" == 0 ]] || fail "the operators' GPU tests (see tests.log)"
if grep -q SKIPPED "$WORK/tests.log"; then
  fail "a GPU test was skipped on the GPU machine (see above)"
fi

step "1b. 100,000 real unit vectors: GPU (tensor, cublas) vs CPU, pair for pair"
record real-100k-cpu similarity join "$DIR/real-100k.vec" --device cpu --pairs "$WORK/real-cpu.txt"
for path in tensor cublas; do
  record "real-100k-$path" similarity join "$DIR/real-100k.vec" --device gpu --gpu-path "$path" --pairs "$WORK/real-$path.txt"
  same_pairs "$WORK/real-cpu.txt" "$WORK/real-$path.txt"
done

step "1c. planted pairs exactly at the threshold and one step either side, extremes, near-threshold clusters"
for path in tensor cublas; do
  record "planted-$path" similarity join "$DIR/planted.vec" --device gpu --gpu-path "$path" --pairs "$WORK/planted-$path.txt"
  same_pairs "$DIR/planted-cpu.txt" "$WORK/planted-$path.txt"
done

step "1d. 1,000,000 random vectors with 1 % near-duplicates: GPU vs CPU on the first 10,000 rows"
limited 60 "$CPT" similarity generate --count 1000000 --near-duplicates 1 --seed 7 --to "$WORK/random-1m.vec"
limited 60 "$CPT" similarity generate --count 100000 --near-duplicates 1 --seed 7 --to "$WORK/random-100k.vec"
record random-1m-cpu-sample similarity join "$WORK/random-1m.vec" --queries 10000 --device cpu --pairs "$WORK/1m-cpu.txt"
for path in tensor cublas; do
  record "random-1m-$path" similarity join "$WORK/random-1m.vec" --device gpu --gpu-path "$path" --pairs "$WORK/1m-$path.txt"
  python3 "$DIR/compare.py" "$WORK/1m-cpu.txt" "$WORK/1m-$path.txt" --keys-of "$WORK/random-1m.vec" --first 10000 ||
    fail "1M vectors, $path path: pairs of the first 10,000 rows differ from the CPU's"
done
same_pairs "$WORK/1m-tensor.txt" "$WORK/1m-cublas.txt"

step "1e. a whole scan through the dataflow: --gpu on vs --gpu off, the same tables' counts"
tar -xzf "$DIR/small.tar.gz" -C "$WORK"
for gpu in on off; do
  # The summary line without what depends on the run (contents parsed, time, rate).
  RUST_LOG=info timeout 120 "$CPT" scan "$WORK/small" --out "$WORK/scan-$gpu" --gpu "$gpu" --no-cache -q -w 2 \
    >"$WORK/scan-$gpu.log" 2>&1 || fail "cpt scan --gpu $gpu (see scan-$gpu.log)"
  grep -o 'cpt scan: .*' "$WORK/scan-$gpu.log" | sed 's/, parsed .*//' >"$WORK/scan-$gpu.summary"
  echo "--gpu $gpu: $(cat "$WORK/scan-$gpu.summary")"
done
grep -q 'similarity join on GPU' "$WORK/scan-on.log" || fail "cpt scan --gpu on did not log its GPU (see scan-on.log)"
if [[ ! -s "$WORK/scan-on.summary" ]] || ! cmp -s "$WORK/scan-on.summary" "$WORK/scan-off.summary"; then
  fail "cpt scan --gpu on and --gpu off disagree (see above)"
fi

step "2. timings"
record random-100k-tensor similarity join "$WORK/random-100k.vec" --device gpu --gpu-path tensor
record delta-10k-of-1m-tensor similarity delta "$WORK/random-1m.vec" --changed 10000 --device gpu --gpu-path tensor
record delta-10k-of-1m-cublas similarity delta "$WORK/random-1m.vec" --changed 10000 --device gpu --gpu-path cublas

step "3. the torch yardstick"
for n in 100k 1m; do
  line="$(timeout 120 python3 "$DIR/yardstick.py" "$WORK/random-$n.vec")" || { fail "torch yardstick, $n"; continue; }
  echo "torch-$n: $line"
  python3 -c 'import json, sys; row = json.loads(sys.argv[2]); row["label"] = sys.argv[1]; print(json.dumps(row))' \
    "random-$n-torch" "$line" >>"$RESULTS"
done

step "table"
python3 "$DIR/table.py" "$RESULTS" | tee "$WORK/gpu-check.md"

step "result"
if (( ${#FAILURES[@]} )); then
  printf 'FAILED: %s\n' "${FAILURES[@]}"
  exit 1
fi
echo "all checks passed"
