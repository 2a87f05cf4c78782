#!/usr/bin/env bash
# Starts one cpt job as N processes of W worker threads on this machine (loopback), the way a
# cluster of N machines runs it, and waits for all of them.
#
#   scripts/cluster-local.sh N W CMD [ARGS...]
#   scripts/cluster-local.sh 2 2 scan datasets/cache/small --out /tmp/cpt-out --overwrite
#   scripts/cluster-local.sh 3 1 replay . --out /tmp/history --metrics 9184   # process i on 9184+i
#
# Each process gets `-w W --processes N --process i --hostfile F`, where F lists N free loopback
# ports; its standard error is prefixed with [process i]. The binary is $CPT_BIN, or
# target/release/cpt (built with `cargo build --release` when missing). The exit status is 0 when
# every process succeeded, otherwise the first non-zero status.
set -euo pipefail

if [[ $# -lt 3 ]] || ! [[ $1 =~ ^[1-9][0-9]*$ && $2 =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 N W CMD [ARGS...]   (N processes of W workers, e.g. $0 2 2 scan . --out /tmp/o)" >&2
    exit 2
fi
processes=$1
workers=$2
shift 2

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CPT_BIN:-$root/target/release/cpt}
if [[ ! -x $bin ]]; then
    (cd "$root" && cargo build --release --locked >&2)
fi

hostfile=$(mktemp "${TMPDIR:-/tmp}/cpt-hostfile.XXXXXX")
trap 'rm -f "$hostfile"' EXIT
python3 - "$processes" >"$hostfile" <<'EOF'
import socket, sys
sockets = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in sockets:
    s.bind(("127.0.0.1", 0))
for s in sockets:
    print(f"127.0.0.1:{s.getsockname()[1]}")
EOF

pids=()
for ((i = 0; i < processes; i++)); do
    "$bin" "$@" -w "$workers" --processes "$processes" --process "$i" --hostfile "$hostfile" \
        2> >(sed -u "s/^/[process $i] /" >&2) &
    pids+=($!)
done

status=0
for pid in "${pids[@]}"; do
    code=0
    wait "$pid" || code=$?
    if [[ $status -eq 0 && $code -ne 0 ]]; then
        status=$code
    fi
done
exit "$status"
