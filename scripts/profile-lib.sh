# Shared by scripts/profile-*.sh and scripts/clinic-profile.sh (source it; bash only).
# Starts a simex server under a profiler, drives load, stops it cleanly.
#
#   free_port                 an unused TCP port on 127.0.0.1
#   wait_health PORT [SECS]   waits until GET /health answers (any status), or fails
#   run_load PORT SECS LOG    load in the background for SECS (simex loadgen when it
#                             exists, else profiling/load.mjs); sets LOAD_PID
#   stop_pid PID [SECS]       SIGINT, wait up to SECS (default 30) for exit, then SIGKILL;
#                             returns 0 if it exited by itself
#   ensure_tools              builds dist/ when the profiling tools are missing
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/dist/profiling/cpuprofile-tools.js"

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

wait_health() {
  local port=$1 secs=${2:-60} i
  for ((i = 0; i < secs * 5; i++)); do
    if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/health"; then return 0; fi
    sleep 0.2
  done
  echo "server on port $port did not answer /health within ${secs}s" >&2
  return 1
}

LOAD_PID=''
run_load() {
  local port=$1 secs=$2 log=$3
  if [ -n "${LOAD_CMD:-}" ]; then
    bash -c "$LOAD_CMD" > "$log" 2>&1 &
  elif node "$ROOT/bin/simex.js" loadgen --help >/dev/null 2>&1; then
    node "$ROOT/bin/simex.js" loadgen --port "$port" --rate "${LOAD_RATE:-5000}" --duration "${secs}s" --quiet > "$log" 2>&1 &
  else
    node "$ROOT/profiling/load.mjs" --port "$port" --seconds "$secs" > "$log" 2>&1 &
  fi
  LOAD_PID=$!
}

stop_pid() {
  local pid=$1 secs=${2:-30} i
  kill -INT "$pid" 2>/dev/null || return 0
  for ((i = 0; i < secs * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "process $pid did not exit ${secs}s after SIGINT: killing it (profiles written at exit are lost)" >&2
  kill -KILL "$pid" 2>/dev/null || true
  return 1
}

ensure_tools() {
  if [ ! -f "$TOOLS" ] || [ "$ROOT/profiling/cpuprofile-tools.ts" -nt "$TOOLS" ] || [ ! -f "$ROOT/dist/src/cli.js" ]; then
    (cd "$ROOT" && npx tsc -p tsconfig.json >/dev/null 2>&1) || true
  fi
  [ -f "$TOOLS" ] || { echo "missing $TOOLS (npx tsc -p tsconfig.json)" >&2; return 1; }
}
