#!/usr/bin/env bash
# CPU profile of EVERY thread (main + each shard worker) with `node --cpu-prof`: starts its
# own simex server under the flag, drives load for DURATION seconds, stops it with SIGINT
# (node writes the profiles only on a normal exit), and renders them.
#
# usage: scripts/profile-cpu-prof.sh DURATION [--port N] [--out DIR] [-- SERVER FLAGS...]
#   env: ENGINE=native|ts (server engine), SHARDS, LOAD_CMD, LOAD_RATE
# output (<out> default profiles/cpu-prof-<UTC time>):
#   <out>/raw/CPU.*.cpuprofile  one per thread (thread id in the name; 0 = main)
#   <out>/thread-<id>.html      0x flamegraph per thread
#   <out>/flamegraph.svg        all threads side by side   <- printed last
#   <out>/top.txt, <out>/profile.pb.gz
set -euo pipefail
source "$(dirname "$0")/profile-lib.sh"
duration=${1:?usage: scripts/profile-cpu-prof.sh DURATION [--port N] [--out DIR] [-- SERVER FLAGS]}; shift
port='' out=''
while [ $# -gt 0 ]; do
  case $1 in
    --port) port=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
ensure_tools
port=${port:-$(free_port)}
out=${out:-$ROOT/profiles/cpu-prof-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out/raw"

node --cpu-prof --cpu-prof-dir="$out/raw" "$ROOT/bin/simex.js" start --port "$port" --host 127.0.0.1 "$@" > "$out/server.log" 2>&1 &
server=$!
trap 'kill -KILL $server 2>/dev/null || true; [ -n "$LOAD_PID" ] && kill $LOAD_PID 2>/dev/null || true' EXIT
wait_health "$port" 60
run_load "$port" "$duration" "$out/load.log"
wait "$LOAD_PID" || true
LOAD_PID=''
clean=0
stop_pid "$server" 40 && clean=1
wait "$server" 2>/dev/null || true
trap - EXIT

shopt -s nullglob
files=("$out"/raw/*.cpuprofile)
echo "server exited $([ $clean = 1 ] && echo cleanly || echo 'only after SIGKILL'); ${#files[@]} thread profile(s) in $out/raw" >&2
[ ${#files[@]} -gt 0 ] || { echo "no .cpuprofile written: the server did not exit normally on SIGINT" >&2; exit 1; }
labelled=()
for f in "${files[@]}"; do
  # CPU.<date>.<time>.<pid>.<threadId>.<seq>.cpuprofile -> thread-<threadId>
  tid=$(basename "$f" | awk -F. '{print $(NF-2)}')
  cp "$f" "$out/thread-$tid.cpuprofile"
  labelled+=("$out/thread-$tid.cpuprofile")
  d=$(mktemp -d); cp "$f" "$d/p.cpuprofile"
  if (cd "$d" && timeout 120 "$ROOT/node_modules/.bin/0x" --visualize-cpu-profile p.cpuprofile >/dev/null 2>&1) && [ -f "$d/flamegraph.html" ]; then
    mv "$d/flamegraph.html" "$out/thread-$tid.html"; echo "$out/thread-$tid.html"
  fi
  rm -rf "$d"
done
node "$TOOLS" top --n 25 "${labelled[@]}" > "$out/top.txt"; echo "$out/top.txt"
node "$TOOLS" pprof --out "$out/profile.pb.gz" "${labelled[@]}"
node "$TOOLS" svg --title "simex node --cpu-prof, ${duration}s, ${#files[@]} threads" --out "$out/flamegraph.svg" "${labelled[@]}"
