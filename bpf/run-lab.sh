#!/usr/bin/env bash
# Runs one bpftrace lab against a running simex server with the right arguments.
#
# usage: bpf/run-lab.sh LAB [PID] [SECONDS] [EXTRA...]
#   LAB      one of: match-latency match-latency-uprobe ops-per-book event-loop-stalls
#            gc-pressure syscall-send-sizes tcp-send-sizes runqlat offcpu
#   PID      the server process (default: newest `simex.js start` process)
#   SECONDS  stop after this many seconds of tracing (counted from when the probes are
#            attached, not from start-up); 0 or empty: until Ctrl-C
#   EXTRA    appended to the script's own arguments (offcpu: 1 = record user stacks)
#
# The node binary and the addon path are read from the process itself (/proc/PID/exe and
# /proc/PID/maps), so the probes attach to exactly what it runs. Needs root and bpftrace.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

lab=${1:?usage: bpf/run-lab.sh LAB [PID] [SECONDS]}
lab_kind "$lab" >/dev/null || { echo "unknown lab: $lab (one of: ${LABS[*]})" >&2; exit 2; }
pid=${2:-$(find_simex_pid)}
secs=${3:-}
extra=("${@:4}")
[ -n "$pid" ] || { echo "no simex server process found; pass its PID" >&2; exit 2; }
[ -d "/proc/$pid" ] || { echo "no process $pid" >&2; exit 2; }
command -v bpftrace >/dev/null || { echo "bpftrace is not installed (apt-get install bpftrace)" >&2; exit 3; }

node_bin=$(readlink -f "/proc/$pid/exe")
addon=$(addon_of_pid "$pid")
kind=$(lab_kind "$lab")
if [[ $kind == usdt || $kind == uprobe-addon ]] && [ -z "$addon" ]; then
  echo "process $pid has not loaded simex_engine.node (ENGINE=ts, or no shard started yet)" >&2
  exit 4
fi
bash "$BPF_DIR/ensure-tracefs.sh" || true

script="$BPF_DIR/$lab.bt"
if [ -n "$secs" ] && [ "$secs" != 0 ]; then
  # interval probes start after every probe is attached: the duration is tracing time.
  tmp=$(mktemp /tmp/simex-lab.XXXXXX.bt)
  trap 'rm -f "$tmp"' EXIT
  { cat "$script"; printf '\ninterval:s:%d { exit(); }\n' "$secs"; } > "$tmp"
  script=$tmp
fi
# shellcheck disable=SC2046
exec_args=$(lab_args "$lab" "$pid" "$addon" "$node_bin")
echo "# bpftrace $lab.bt $exec_args ${extra[*]}" >&2
# Not exec: the EXIT trap must remove the temporary script.
# shellcheck disable=SC2086
bpftrace "$script" $exec_args "${extra[@]}"
