#!/usr/bin/env bash
# Linux perf CPU profile of simex: JavaScript frames (node --perf-basic-prof writes
# /tmp/perf-<pid>.map) and the C++ addon's frames (simex_process_batch, simex::Book::...)
# in one SVG flamegraph (rendered by the `flamegraph` npm package; Debian has no
# flamegraph.pl). Every thread is sampled: perf follows all threads of the process.
#
# usage: scripts/profile-perf.sh DURATION [--port N] [--out DIR] [--pid PID] [--freq HZ]
#   default: starts its own server (node --perf-basic-prof --interpreted-frames-native-stack
#            bin/simex.js start), drives load, records, stops it.
#   --pid PID  attach to a running process instead (JS frames resolve only if it was
#              started with --perf-basic-prof; otherwise they show as [unknown] or
#              raw addresses - the native frames still resolve). No load is started
#              unless --port is also given.
#   env: ENGINE (default native: the point is to see the addon), SHARDS, LOAD_CMD, LOAD_RATE
# Notes for this machine: no hardware PMU in the VM, so the event is -e cpu-clock (a
# software timer); -g uses frame pointers (the addon is built -fno-omit-frame-pointer).
# output: <out>/perf.data, <out>/perf.txt (perf script), <out>/perf.svg  <- printed last
set -euo pipefail
source "$(dirname "$0")/profile-lib.sh"
duration=${1:?usage: scripts/profile-perf.sh DURATION [--port N] [--out DIR] [--pid PID] [--freq HZ]}; shift
port='' out='' pid='' freq=199
while [ $# -gt 0 ]; do
  case $1 in
    --port) port=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --pid) pid=$2; shift 2 ;;
    --freq) freq=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v perf >/dev/null || { echo "perf is not installed (apt-get install linux-perf)" >&2; exit 3; }
ensure_tools
out=${out:-$ROOT/profiles/perf-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
server=''
if [ -z "$pid" ]; then
  port=${port:-$(free_port)}
  ENGINE=${ENGINE:-native} node --perf-basic-prof --interpreted-frames-native-stack "$ROOT/bin/simex.js" start \
    --port "$port" --host 127.0.0.1 > "$out/server.log" 2>&1 &
  server=$!
  pid=$server
  trap 'kill -KILL $server 2>/dev/null || true; [ -n "$LOAD_PID" ] && kill $LOAD_PID 2>/dev/null || true' EXIT
  wait_health "$port" 60
fi
[ -n "$port" ] && run_load "$port" $((duration + 1)) "$out/load.log"
sleep 0.5
perf record -e cpu-clock -F "$freq" -g -p "$pid" -o "$out/perf.data" -- sleep "$duration" 2> "$out/perf-record.log" >&2 \
  || { cat "$out/perf-record.log" >&2; exit 1; }
# perf script must run while /tmp/perf-<pid>.map still exists (node deletes nothing, but
# a restarted server gets a new pid and map).
perf script -i "$out/perf.data" > "$out/perf.txt" 2> "$out/perf-script.log"
[ -n "$LOAD_PID" ] && { wait "$LOAD_PID" 2>/dev/null || true; LOAD_PID=''; }
if [ -n "$server" ]; then stop_pid "$server" 40 || true; wait "$server" 2>/dev/null || true; trap - EXIT; fi
echo "$out/perf.txt"
"$ROOT/node_modules/.bin/flamegraph" -t perf --title "simex perf (cpu-clock ${freq} Hz, ${duration}s): JS + native" < "$out/perf.txt" > "$out/perf.svg"
echo "$out/perf.svg"
