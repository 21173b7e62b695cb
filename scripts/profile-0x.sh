#!/usr/bin/env bash
# 0x flamegraph of the simex MAIN thread (0x reads one V8 isolate log: worker threads are
# not in it; use scripts/profile-cpu-prof.sh for every thread). Starts its own server under
# 0x, drives load for DURATION seconds, stops it with SIGINT, lets 0x render.
#
# usage: scripts/profile-0x.sh DURATION [--port N] [--out DIR]
#   env: ENGINE, SHARDS, LOAD_CMD, LOAD_RATE
# output: <out>/flamegraph.html  <- printed last (open in a browser; 0x never opens one)
set -euo pipefail
source "$(dirname "$0")/profile-lib.sh"
duration=${1:?usage: scripts/profile-0x.sh DURATION [--port N] [--out DIR]}; shift
port='' out=''
while [ $# -gt 0 ]; do
  case $1 in
    --port) port=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
ensure_tools
port=${port:-$(free_port)}
out=${out:-$ROOT/profiles/0x-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
work=$(mktemp -d)   # 0x leaves isolate logs in its working directory
(cd "$work" && exec "$ROOT/node_modules/.bin/0x" --output-dir "$out/0x" -- node "$ROOT/bin/simex.js" start --port "$port" --host 127.0.0.1) \
  > "$out/0x.log" 2>&1 &
zx=$!
trap 'kill -KILL $zx 2>/dev/null || true; pkill -KILL -P $zx 2>/dev/null || true; rm -rf "$work"' EXIT
wait_health "$port" 90
run_load "$port" "$duration" "$out/load.log"
wait "$LOAD_PID" || true; LOAD_PID=''
# SIGINT the profiled node (0x's child); 0x then processes the log and renders.
child=$(pgrep -P "$zx" -n node || true)
[ -n "$child" ] && kill -INT "$child"
for _ in $(seq 1 1200); do kill -0 "$zx" 2>/dev/null || break; sleep 0.1; done
kill -0 "$zx" 2>/dev/null && { echo "0x did not finish within 120 s" >&2; exit 1; }
trap 'rm -rf "$work"' EXIT
[ -f "$out/0x/flamegraph.html" ] || { echo "0x wrote no flamegraph (see $out/0x.log)" >&2; tail -5 "$out/0x.log" >&2; exit 1; }
echo "$out/0x/flamegraph.html"
