#!/usr/bin/env bash
# Clinic.js doctor / flame / bubbleprof against simex under load. BEST EFFORT: clinic 13 is
# unmaintained upstream; here it needs NO_INSIGHT=1 (else it waits silently for a
# telemetry prompt), --open=false, and a fresh working directory per run (leftover
# node_trace.*.log files break the next run). Bounded by a timeout; bubbleprof can take
# minutes to analyse.
#
# usage: scripts/clinic-profile.sh doctor|flame|bubbleprof DURATION [--port N] [--out DIR] [--timeout S]
#   env: ENGINE, SHARDS, LOAD_CMD, LOAD_RATE
# output: <out>/<tool>/*.html  <- path printed last
set -euo pipefail
source "$(dirname "$0")/profile-lib.sh"
tool=${1:?usage: scripts/clinic-profile.sh doctor|flame|bubbleprof DURATION [--port N] [--out DIR] [--timeout S]}
duration=${2:?DURATION missing}; shift 2
[[ $tool == doctor || $tool == flame || $tool == bubbleprof ]] || { echo "tool must be doctor, flame or bubbleprof" >&2; exit 2; }
port='' out='' limit=300
while [ $# -gt 0 ]; do
  case $1 in
    --port) port=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --timeout) limit=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
ensure_tools
port=${port:-$(free_port)}
out=${out:-$ROOT/profiles/clinic-$tool-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out/$tool"
work=$(mktemp -d)
(cd "$work" && NO_INSIGHT=1 exec timeout -s INT "$limit" "$ROOT/node_modules/.bin/clinic" "$tool" --open=false \
  --dest "$out/$tool" -- node "$ROOT/bin/simex.js" start --port "$port" --host 127.0.0.1) > "$out/clinic.log" 2>&1 &
cl=$!
trap 'kill -KILL $cl 2>/dev/null || true; rm -rf "$work"' EXIT
wait_health "$port" 120
run_load "$port" "$duration" "$out/load.log"
wait "$LOAD_PID" || true; LOAD_PID=''
# clinic wraps node in a child; SIGINT it so clinic collects and analyses.
child=$(pgrep -f "node .*$ROOT/bin/simex.js start --port $port" | head -n1 || true)
[ -n "$child" ] && kill -INT "$child"
for _ in $(seq 1 $((limit * 10))); do kill -0 "$cl" 2>/dev/null || break; sleep 0.1; done
trap 'rm -rf "$work"' EXIT
html=$(find "$out/$tool" -maxdepth 2 -name '*.html' | head -n1)
[ -n "$html" ] || { echo "clinic $tool produced no HTML within ${limit}s (best effort; see $out/clinic.log)" >&2; tail -5 "$out/clinic.log" >&2; exit 1; }
echo "$html"
