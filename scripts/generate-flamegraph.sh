#!/usr/bin/env bash
# Profile a RUNNING simex server under load and write a flamegraph (the seed's command).
#
# usage: scripts/generate-flamegraph.sh cpu|heap DURATION PORT [options]
#   cpu   CPU profile of every thread (main + shard workers) for DURATION seconds:
#         <out>/flamegraph.svg      all threads side by side (one root frame per thread)
#         <out>/<thread>.cpuprofile raw V8 profiles (Chrome DevTools, speedscope)
#         <out>/<thread>.html       0x flamegraph per thread (0x --visualize-cpu-profile)
#         <out>/profile.pb.gz       pprof, label thread=  (go tool pprof -http=: profile.pb.gz)
#         <out>/top.txt             self-time table
#   heap  sampling heap profile of every thread over DURATION seconds under load, plus a
#         heap snapshot of one thread (--thread, default main):
#         <out>/heap.svg            sampled bytes by allocation stack, all threads: live at
#                                   the window's end (default), or allocated during it
#                                   (--alloc); the title gives each thread's sample count
#         <out>/<thread>.heapprofile, <out>/heap.pb.gz (same windows, thread= label),
#         <out>/<thread>.heapsnapshot
#         Exits 1 without an SVG when no thread has a single sample (no load reached the
#         server, or nothing survived: try a longer DURATION or --alloc).
#   The last line printed is the flamegraph's path (flamegraph.svg / heap.svg).
#
# options:
#   --host H          server address (default 127.0.0.1)
#   --thread T        cpu: main | shard-<n> | all (default all); heap: snapshot thread
#   --out DIR         output directory (default profiles/<kind>-<UTC time>)
#   --no-load         do not start a load generator (profile whatever traffic there is)
#   --connections N   load connections (default 8); LOAD_RATE env: loadgen orders/s (5000)
#   --alloc           heap: keep objects the GC freed (bytes allocated in the window)
#   --interval-bytes B  heap: one sample per B allocated bytes (default by DURATION:
#                     16 KiB up to 10 s, 64 KiB up to 60 s, else 256 KiB; V8's own default
#                     of 512 KiB leaves a few-second live window of this server empty)
#   --token TOKEN     admin token for a non-loopback server (or DEBUG_TOKEN env)
#   LOAD_CMD env      custom load command (run for the duration, killed afterwards);
#                     default: `simex loadgen` when it exists, else profiling/load.mjs
#
# Requirements: the server runs with DEBUG_ENDPOINTS=1 (pprof-style endpoints, see
# src/server/debug/index.ts). Without them this script cannot reach a running process's
# V8 profiler; use scripts/profile-perf.sh (perf, attaches to any PID) or
# scripts/profile-cpu-prof.sh (starts its own server with --cpu-prof) instead.
# Exit codes: 0 ok, 1 failed (e.g. empty heap profile), 2 usage, 3 no server / no debug
# endpoints, 4 the load never reached the server (order_count did not move in 30 s).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

usage() { sed -n '2,43p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 3 ] || usage
kind=$1 duration=$2 port=$3; shift 3
[[ $kind == cpu || $kind == heap ]] || usage
[[ $duration =~ ^[0-9]+$ ]] && [ "$duration" -ge 1 ] && [ "$duration" -le 300 ] || { echo "DURATION must be 1..300 seconds" >&2; exit 2; }
[[ $port =~ ^[0-9]+$ ]] || { echo "PORT must be a number" >&2; exit 2; }
host=127.0.0.1 thread='' out='' load=1 connections=8 token=${DEBUG_TOKEN:-} alloc=0 interval=''
while [ $# -gt 0 ]; do
  case $1 in
    --host) host=$2; shift 2 ;;
    --thread) thread=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --no-load) load=0; shift ;;
    --connections) connections=$2; shift 2 ;;
    --token) token=$2; shift 2 ;;
    --alloc) alloc=1; shift ;;
    --interval-bytes) interval=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
done
base="http://$host:$port"
if [ -z "$interval" ]; then
  # Live samples of a window are what was allocated in it and not yet freed: for this
  # server a few hundred KiB over a few seconds, so short windows need a fine interval.
  # Cost: one stack walk per sample (~1% of a core at 16 KiB and ~20 MB/s allocated);
  # coarser for long windows keeps an --alloc profile's sample list bounded.
  if [ "$duration" -le 10 ]; then interval=16384; elif [ "$duration" -le 60 ]; then interval=65536; else interval=262144; fi
fi
[[ $interval =~ ^[0-9]+$ ]] && [ "$interval" -ge 1024 ] && [ "$interval" -le 67108864 ] || { echo "--interval-bytes must be 1024..67108864" >&2; exit 2; }
out=${out:-$ROOT/profiles/$kind-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
auth=()
[ -n "$token" ] && auth=(-H "Authorization: Bearer $token")

TOOLS="$ROOT/dist/profiling/cpuprofile-tools.js"
if [ ! -f "$TOOLS" ] || [ "$ROOT/profiling/cpuprofile-tools.ts" -nt "$TOOLS" ]; then
  (cd "$ROOT" && npx tsc -p tsconfig.json >/dev/null 2>&1) || true
fi
[ -f "$TOOLS" ] || { echo "missing $TOOLS (build with npx tsc -p tsconfig.json)" >&2; exit 1; }

curl -sf -o /dev/null --max-time 5 "$base/health" || curl -s -o /dev/null --max-time 5 "$base/health" \
  || { echo "no simex server answering at $base" >&2; exit 3; }
index=$(curl -s --max-time 5 "${auth[@]}" -w '\n%{http_code}' "$base/debug/pprof/")
code=${index##*$'\n'}
if [ "$code" != 200 ]; then
  echo "debug endpoints not available at $base/debug/pprof/ (HTTP $code)." >&2
  echo "Start the server with DEBUG_ENDPOINTS=1, or use scripts/profile-perf.sh / scripts/profile-cpu-prof.sh." >&2
  exit 3
fi
threads=$(printf '%s' "${index%$'\n'*}" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).threads.join(" ")))')

load_pid=''
stop_load() { if [ -n "$load_pid" ]; then kill "$load_pid" 2>/dev/null || true; wait "$load_pid" 2>/dev/null || true; load_pid=''; fi; }
trap stop_load EXIT
# Orders the server has received so far (/api/metrics order_count), or empty.
order_count() {
  { curl -s --max-time 5 "$base/api/metrics" 2>/dev/null || true; } \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const n=JSON.parse(s).order_count;if(Number.isFinite(n))console.log(n)}catch{}})' || true
}
if [ "$load" = 1 ]; then
  # The load is started, then the profile window opens only once the server has seen it
  # (order_count moves), so a slow load start-up never leaves the window idle. The load
  # is given a generous duration and killed right after the window.
  secs=$((duration + 30))
  before=$(order_count)
  if [ -n "${LOAD_CMD:-}" ]; then
    bash -c "$LOAD_CMD" > "$out/load.log" 2>&1 &
  elif node "$ROOT/bin/simex.js" loadgen --help >/dev/null 2>&1; then
    node "$ROOT/bin/simex.js" loadgen --url "ws://$host:$port/ws/v1" --rate "${LOAD_RATE:-5000}" \
      --connections "$connections" --duration "${secs}s" --quiet > "$out/load.log" 2>&1 &
  else
    node "$ROOT/profiling/load.mjs" --host "$host" --port "$port" --seconds "$secs" --connections "$connections" > "$out/load.log" 2>&1 &
  fi
  load_pid=$!
  if [ -z "$before" ]; then
    echo "warning: $base/api/metrics has no order_count: cannot check that the load reaches the server; waiting 2 s" >&2
    sleep 2
  else
    seen=0
    for ((i = 0; i < 150; i++)); do
      now=$(order_count)
      if [ -n "$now" ] && [ "$now" -gt "$before" ]; then seen=1; break; fi
      if ! kill -0 "$load_pid" 2>/dev/null; then break; fi
      sleep 0.2
    done
    if [ "$seen" = 0 ]; then
      echo "the load did not reach $base within 30 s (order_count stayed at $before); load log:" >&2
      tail -n 20 "$out/load.log" >&2 || true
      if [ -z "${LOAD_CMD:-}" ]; then exit 4; fi
      echo "(custom LOAD_CMD: profiling anyway)" >&2
    fi
  fi
fi
# Warns when the load process ended before the profile window did (a quieter profile).
check_load_ran() {
  if [ -n "$load_pid" ] && ! kill -0 "$load_pid" 2>/dev/null; then
    echo "warning: the load ended before the ${duration}s window did; see $out/load.log" >&2
  fi
}

fetch() { # url file
  local c
  c=$(curl -s --max-time $((duration + 120)) "${auth[@]}" -o "$2" -w '%{http_code}' "$1") || c=000
  if [ "$c" != 200 ]; then echo "GET $1 -> HTTP $c: $(head -c 300 "$2" 2>/dev/null)" >&2; return 1; fi
}

if [ "$kind" = cpu ]; then
  sel=${thread:-all}
  [ "$sel" = all ] && sel=$threads
  pids=()
  for t in $sel; do fetch "$base/debug/cpuprofile?seconds=$duration&thread=$t" "$out/$t.cpuprofile" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p"; done
  check_load_ran
  stop_load
  files=()
  for t in $sel; do files+=("$out/$t.cpuprofile"); done
  node "$TOOLS" pprof --out "$out/profile.pb.gz" "${files[@]}" >/dev/null
  node "$TOOLS" top --n 25 "${files[@]}" > "$out/top.txt"
  # 0x writes flamegraph.html into the working directory: one run per thread, each in
  # its own directory, then moved next to the profile.
  for t in $sel; do
    d=$(mktemp -d); cp "$out/$t.cpuprofile" "$d/"
    if (cd "$d" && timeout 120 "$ROOT/node_modules/.bin/0x" --visualize-cpu-profile "$t.cpuprofile" >/dev/null 2>&1) && [ -f "$d/flamegraph.html" ]; then
      mv "$d/flamegraph.html" "$out/$t.html"; echo "$out/$t.html"
    else
      echo "0x could not render $t (the SVG below has the same data)" >&2
    fi
    rm -rf "$d"
  done
  echo "$out/profile.pb.gz"
  echo "$out/top.txt"
  node "$TOOLS" svg --title "simex CPU, ${duration}s, threads: $sel" --out "$out/flamegraph.svg" "${files[@]}"
else
  snap=${thread:-main}
  q="seconds=$duration&interval_bytes=$interval&collected=$alloc"
  files=()
  pids=()
  for t in $threads; do fetch "$base/debug/heapprofile?$q&thread=$t" "$out/$t.heapprofile" & pids+=($!); files+=("$out/$t.heapprofile"); done
  for p in "${pids[@]}"; do wait "$p"; done
  check_load_ran
  stop_load
  # pprof from the same windows as the SVG (the continuous sampler behind
  # /debug/pprof/heap?seconds=0 restarts when a window ends, so it would be near empty).
  pp=(--interval "$interval")
  [ "$alloc" = 1 ] && pp+=(--alloc)
  node "$TOOLS" heappprof --out "$out/heap.pb.gz" "${pp[@]}" "${files[@]}" >/dev/null
  fetch "$base/debug/heapsnapshot?thread=$snap" "$out/$snap.heapsnapshot"
  what="live sampled bytes after ${duration}s"
  [ "$alloc" = 1 ] && what="sampled bytes allocated in ${duration}s"
  # Fails (exit 1, message on stderr) when no thread has a sample: no empty SVG.
  svg_out=$(node "$TOOLS" heapsvg --title "simex heap: $what, 1 sample/$interval B" --out "$out/heap.svg" "${files[@]}") \
    || { echo "no heap flamegraph written (profiles kept in $out)" >&2; exit 1; }
  echo "$out/heap.pb.gz"
  echo "$out/$snap.heapsnapshot"
  echo "$svg_out"
fi
