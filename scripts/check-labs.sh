#!/usr/bin/env bash
# Runs the commands of docs/labs/*.md (the four learning paths) against simex servers this
# script starts itself on free loopback ports, and checks that each does what the lab says
# you should see. One line per step: "OK|FAIL|SKIP <step> <detail>". Exit 1 if any FAIL.
#
# usage: scripts/check-labs.sh [--only PREFIX] [--with-clinic]
#   --only PREFIX   run only steps whose name starts with PREFIX (obs, chaos, ebpf, prof, perf)
#   --with-clinic   also run the clinic doctor/flame steps (best effort: reported, never FAIL)
# Differences from the docs, on purpose: the port is a free one instead of 8080, the PID is
# the server this script started (the docs' `pgrep -n -f 'simex.js start'` could pick another
# server on a shared machine), durations are a few seconds instead of 10-30.
# Steps that need a missing tool (bpftrace/root, perf, go, promtool, stress-ng) are SKIP
# locally and FAIL when CI=true. bpftrace labs are covered in depth by test/bpf/.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/scripts/profile-lib.sh"
cd "$ROOT"

only='' clinic=0
while [ $# -gt 0 ]; do
  case $1 in
    --only) only=$2; shift 2 ;;
    --with-clinic) clinic=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

WORK=$(mktemp -d /tmp/simex-check-labs.XXXXXX)
FAILS=0
SERVERS=()
cleanup() { for p in "${SERVERS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

want() { [ -z "$only" ] || [[ $1 == "$only"* ]]; }
ok() { echo "OK   $1 ${2:-}"; }
fail() { echo "FAIL $1 ${2:-}"; FAILS=$((FAILS + 1)); }
skip() {
  if [ "${CI:-}" = true ]; then fail "$1" "(CI=true, required tool missing: $2)"; else echo "SKIP $1 ($2)"; fi
}
# step NAME CMD... : runs CMD (a shell string) with output in $WORK/NAME.out; OK on exit 0.
step() {
  local name=$1; shift
  want "$name" || return 0
  if bash -c "$*" > "$WORK/$name.out" 2>&1; then ok "$name"; else fail "$name" "$(tail -n 5 "$WORK/$name.out" | tr '\n' ' ' | cut -c1-600)"; fi
}
has() { command -v "$1" >/dev/null 2>&1; }

# start_server VAR_PREFIX ENV... : starts bin/simex.js on a free port; sets ${P}_PORT ${P}_PID ${P}_LOG
start_server() {
  local prefix=$1; shift
  local port log pid
  port=$(free_port); log="$WORK/server-$prefix.log"
  env SIMULATION_ENABLED=false "$@" node "$ROOT/bin/simex.js" start --port "$port" --host 127.0.0.1 --log-level info > "$log" 2>&1 &
  pid=$!
  SERVERS+=("$pid")
  wait_health "$port" 60 || { fail "start-$prefix" "$(tail -n 5 "$log" | tr '\n' ' ')"; return 1; }
  printf -v "${prefix}_PORT" '%s' "$port"; printf -v "${prefix}_PID" '%s' "$pid"; printf -v "${prefix}_LOG" '%s' "$log"
}

ensure_tools || { echo "FAIL build (dist/ missing)"; exit 1; }
export LOAD_RATE=${LOAD_RATE:-3000}

# ----------------------------------------------------------------------------- path 1
if want obs- || want chaos- || [[ $only == obs* || $only == chaos* ]]; then
start_server S DEBUG_ENDPOINTS=1 SIMEX_TEST_ROUTES=true SHARDS=2 ENGINE=native CHAOS_FLAG_FILE="$WORK/chaos.flag" AUDIT_LOG_FILE="$WORK/audit.log" || exit 1
B="http://127.0.0.1:$S_PORT"
export B S_PORT S_PID S_LOG WORK ROOT

step obs-health "curl -s $B/health | jq -e '{status, services} | .status != null and (.services | length) > 0'"
step obs-api-metrics "curl -s $B/api/metrics | jq -e '{order_count, trade_count, p50_latency_us, p99_latency_us, engine_latency} | .order_count != null'"
step obs-prom-metrics "curl -s $B/metrics | grep -E '^# HELP simex_(orders_total|order_ack_duration_seconds|engine_batches_total) '"
if has promtool; then step obs-promtool "curl -s $B/metrics | promtool check metrics"; else want obs-promtool && skip obs-promtool promtool; fi
step obs-loadgen "node bin/simex.js loadgen --port $S_PORT --rate 2000 --duration 4s --json | jq -e '.counters.acked > 0 and .achieved_rate > 0'"
# Path 1, exercise 1.2: Prometheus scraping this server with the project's config and rules.
prom_check() {
  local pp ok=1 q
  pp=$(free_port); mkdir -p "$WORK/prom"
  sed -e "s#127.0.0.1:8080#127.0.0.1:$S_PORT#" -e "s#- simex-rules.yml#- $ROOT/ops/prometheus/simex-rules.yml#" \
    ops/prometheus/prometheus.yml > "$WORK/prom/prometheus.yml"
  prometheus --config.file="$WORK/prom/prometheus.yml" --storage.tsdb.path="$WORK/prom/data" \
    --web.listen-address="127.0.0.1:$pp" > "$WORK/prom/log" 2>&1 &
  local prom=$!
  node bin/simex.js loadgen --port "$S_PORT" --rate 2000 --duration 16s --quiet > /dev/null 2>&1
  for q in 'simex:orders:rate1m' 'simex:order_ack_latency_seconds:p99_1m' \
    'histogram_quantile(0.99, sum by (le) (rate(simex_engine_command_duration_seconds_bucket[1m])))'; do
    # Poll (up to 30 s): on a loaded machine the second scrape and the first rule evaluation
    # may land after the load ends; rate()s over [1m] still see it then.
    local tries=0
    until curl -s --data-urlencode "query=$q" "http://127.0.0.1:$pp/api/v1/query" | jq -e -c '.data.result | length > 0'; do
      tries=$((tries + 1)); [ "$tries" -ge 30 ] && { echo "empty after 30 s: $q"; ok=0; break; }
      sleep 1
    done
  done
  kill "$prom"; wait "$prom" 2>/dev/null
  [ "$ok" = 1 ]
}
export -f prom_check free_port
if has prometheus; then step obs-prometheus prom_check; else want obs-prometheus && skip obs-prometheus prometheus; fi
step obs-dashboard "test \"\$(curl -s -o /dev/null -w '%{http_code}' $B/dashboard)\" = 200"
step obs-flamegraph-cpu "out=\$(scripts/generate-flamegraph.sh cpu 3 $S_PORT --out \$WORK/fg-cpu) && test \"\$(echo \"\$out\" | tail -n1)\" = \$WORK/fg-cpu/flamegraph.svg && grep -q 'thread shard-0' \$WORK/fg-cpu/flamegraph.svg && head -3 \$WORK/fg-cpu/top.txt"
if has go; then
  step obs-pprof "export HOME=\$WORK GOCACHE=\$WORK/gocache; go tool pprof -top \$WORK/fg-cpu/profile.pb.gz | head -20 | grep -q 'Type: cpu' && go tool pprof -top -tagfocus=thread=shard-0 \$WORK/fg-cpu/profile.pb.gz | head >/dev/null && curl -sf -o \$WORK/cpu.pb.gz '$B/debug/pprof/profile?seconds=2&thread=all' && go tool pprof -top \$WORK/cpu.pb.gz | grep -q 'Type: cpu'"
else want obs-pprof && skip obs-pprof "go (golang-go)"; fi
step obs-flamegraph-heap "out=\$(scripts/generate-flamegraph.sh heap 2 $S_PORT --out \$WORK/fg-heap) && test \"\$(echo \"\$out\" | tail -n1)\" = \$WORK/fg-heap/heap.svg && test -s \$WORK/fg-heap/main.heapsnapshot"
step obs-logs "jq -c 'select(.level == \"WARN\" or .level == \"ERROR\")' $S_LOG >/dev/null && jq -r '.msg' $S_LOG | sort | uniq -c | sort -rn | head | grep -q 'HTTP server listening'"
# Lab 1.6: bad REST orders in the failure ring (simex ops investigate-failures, with their HTTP
# status and code), and the accounts' security events in AUDIT_LOG_FILE only, never in the
# application log.
failures_audit_check() {
  local body out
  for body in '{"symbol":"DOGEUSD","side":"buy","price":1,"quantity":1}' '{"symbol":"BTCUSD","side":"up","price":50000,"quantity":0.01}' '{"symbol":"BTCUSD","side":"buy","price":50000}'; do
    curl -s -X POST "$B/api/orders" -H 'content-type: application/json' -d "$body" | jq -e '.code != null and .error != null' >/dev/null || { echo "not a 4xx {error, code}: $body"; return 1; }
  done
  out=$(node bin/simex.js ops investigate-failures --limit 3 --url "$B") || return 1
  echo "$out"
  grep -qE 'rest +new +BTCUSD +HTTP 400 +MISSING_FIELD +field quantity' <<<"$out" && grep -qE 'rest +new +- +HTTP 404 +UNKNOWN_SYMBOL' <<<"$out" \
    && grep -qE 'rest +new +BTCUSD +HTTP 400 +BAD_SIDE +field side' <<<"$out" || { echo 'the three rejects are not the most recent failures'; return 1; }
  local cred='{"username":"lab16","password":"correct-horse-battery"}' token
  test "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$B/api/auth/register" -H 'Content-Type: application/json' -d "$cred")" = 201 || return 1
  test "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$B/api/auth/login" -H 'Content-Type: application/json' -d '{"username":"lab16","password":"wrong-password-123"}')" = 401 || return 1
  token=$(curl -s -X POST "$B/api/auth/login" -H 'Content-Type: application/json' -d "$cred" | jq -r .access_token)
  curl -s -X POST "$B/api/auth/logout" -H "Authorization: Bearer $token" | jq -e '.logged_out == true' || return 1
  jq -e -s -c '[.[] | .event] == ["register", "login_failure", "login_success", "token_issued", "logout"] and all(.[]; .service == "audit" and .log_type == "audit")' "$WORK/audit.log" \
    || { echo "audit log: $(cat "$WORK/audit.log")"; return 1; }
  ! grep -qF -e 'correct-horse' -e "$token" "$WORK/audit.log" || { echo 'a password or token in the audit log'; return 1; }
  jq -e -n '[inputs | select(.log_type == "audit" or .service == "audit")] | length == 0' "$S_LOG" || { echo 'audit lines in the application log'; return 1; }
  curl -s "$B/metrics" | grep -qxF 'simex_auth_events_total{event="login_failure"} 1' && curl -s "$B/metrics" | grep -qxF 'simex_accounts 1' || { echo 'auth metrics'; return 1; }
}
export -f failures_audit_check
step obs-failures-audit failures_audit_check

# ----------------------------------------------------------------------------- path 2
step chaos-steady "curl -s $B/health | jq -e -r '.status == \"healthy\" or .status == \"degraded\"' && curl -s $B/api/symbols | jq -e -r '.symbols[] | \"\(.symbol) shard \(.shard) \(.status)\"' && node bin/simex.js loadgen --port $S_PORT --rate 2000 --duration 3s --json | jq -e '{achieved: .achieved_rate, p99_us: .latency_us.corrected.p99, rejected: .counters.rejected, errors: .counters.errors} | .achieved > 0'"
ORDER_BTC='{"symbol":"BTCUSD","side":"buy","price":50000,"quantity":0.01}'
ORDER_ETH='{"symbol":"ETHUSD","side":"buy","price":3000,"quantity":0.01}'
export ORDER_BTC ORDER_ETH
step chaos-halt "curl -s -X POST $B/admin/trading/halt | jq -e . && test \"\$(curl -s -o /dev/null -w '%{http_code}' -X POST $B/api/orders -H 'content-type: application/json' -d \"\$ORDER_BTC\")\" = 503 && curl -s $B/api/orderbook/BTCUSD | jq -e '{best_bid, best_ask, status} | .status == \"halted\"' && curl -s -X POST $B/admin/trading/resume | jq -e . && curl -s $B/admin/trading/status | jq -e . && curl -s -X POST $B/api/orders -H 'content-type: application/json' -d \"\$ORDER_BTC\" | jq -e '.status == \"active\" or .status == \"filled\" or .status == \"partially_filled\"'"
step chaos-maintenance "curl -s -X POST $B/admin/maintenance/enable -d '{\"reason\":\"lab 2.1b\"}' | jq -e '.maintenance == true' && test \"\$(curl -s -o /dev/null -w '%{http_code}' $B/health)\" = 503 && curl -s -X POST $B/api/orders -H 'content-type: application/json' -d \"\$ORDER_BTC\" | jq -e '.code == \"MAINTENANCE_MODE\"' && curl -s $B/metrics | grep -q '^simex_maintenance_mode 1' && curl -s -X POST $B/admin/maintenance/disable | jq -e '.maintenance == false' && curl -s -X POST $B/admin/circuit-breaker/activate-all | jq -e '.opened >= 1' && curl -s -X POST $B/admin/circuit-breaker/reset/ETHUSD | jq -e '.open == false' && curl -s $B/admin/circuit-breaker/status | jq -e '[.[] | select(.open == true) | .pair] | index(\"BTCUSD\") != null and index(\"ETHUSD\") == null' && curl -s $B/health | jq -e '.status == \"degraded\"' && curl -s -X POST $B/api/orders -H 'content-type: application/json' -d \"\$ORDER_ETH\" | jq -e '.status != null' && curl -s -X POST $B/admin/circuit-breaker/reset-all >/dev/null && curl -s $B/admin/circuit-breaker/status | jq -e '[.[] | select(.open == true)] | length == 0'"
# Lab 2.1c: the chaos flag file and the operator CLI (polls: the server checks the file every 1 s).
step chaos-flag-file "echo 'error_rate=1' > \$WORK/chaos.flag && for i in \$(seq 50); do curl -s $B/health | jq -e '.chaos.flag.active' >/dev/null && break; sleep 0.2; done && curl -s $B/health | jq -e '.services.chaos == \"active\" and .chaos.flag.settings.error_rate == 1' && curl -s -X POST $B/api/orders -H 'content-type: application/json' -d \"\$ORDER_BTC\" | jq -e '.code == \"CHAOS_INJECTED\"' && node bin/simex.js ops investigate-failures --limit 3 --url $B | tee /dev/stderr | grep -qE 'rest +new +BTCUSD +128 +CHAOS_INJECTED' && curl -s $B/metrics | grep -q '^simex_chaos_flag_active 1' && rm \$WORK/chaos.flag && for i in \$(seq 50); do curl -s $B/health | jq -e '.chaos.flag.active == false' >/dev/null && break; sleep 0.2; done && node bin/simex.js ops status --url $B | grep -E '^chaos: +inactive' && curl -s -X POST $B/api/orders -H 'content-type: application/json' -d \"\$ORDER_BTC\" | jq -e '.status != null'"
# Lab 2.1d: live engine migration (seed 004) — ramp 10 -> 50 -> 100 and cut-over (BTCUSD),
# the breaker drill (ETHUSD: forced divergence -> rolled_back, one warn line), emergency-stop
# (ADAUSD), BTCUSD moved back. Load comes from loadgen (this server runs no simulator); a
# shard checks the verification window at the end of a drained batch and /metrics reads the
# shards' ~1 s reports, so both are polled. Leaves every pair on its native engine.
migration_check() {
  row() { curl -s "$B/admin/migration/status" | jq -c --arg p "$1" '.[] | select(.pair == $p)'; }
  # expect PAIR FILTER: the pair's status row satisfies FILTER within 10 s
  expect() { local i; for i in $(seq 50); do row "$1" | jq -e "$2" >/dev/null && return 0; sleep 0.2; done; echo "status of $1 never matched $2: $(row "$1")"; return 1; }
  prom() { local i; for i in $(seq 50); do curl -s "$B/metrics" | grep -qxF "$1" && return 0; sleep 0.2; done; echo "/metrics never had: $1"; curl -s "$B/metrics" | grep '^simex_migration_'; return 1; }
  load() {
    node bin/simex.js loadgen --port "$S_PORT" --rate 1000 --duration "$2" --symbols "$1" --json > "$WORK/mig-load.json" || { echo "loadgen $1 failed"; return 1; }
    # every order answered, none by an error or a timeout: clients never see the shadow
    jq -e '.counters.acked > 0 and .counters.errors == 0 and .counters.timeouts == 0 and .counters.systemRejects == 0' "$WORK/mig-load.json" >/dev/null \
      || { echo "loadgen $1: $(jq -c .counters "$WORK/mig-load.json")"; return 1; }
  }
  pct() { curl -s -X POST "$B/admin/migration/percentage" -d "$1"; }
  curl -s "$B/admin/migration/status" | jq -e 'length == 3 and all(.[]; .state == "not_migrating" and .engine == "native")' || return 1
  pct '{"pair":"BTCUSD","percentage":10}' | jq -e '.changed and (.pairs[0] | .state == "shadowing" and .current_percentage == 10 and .source_engine == "native" and .target_engine == "ts" and .migration_supported)' || return 1
  load BTCUSD 2s || return 1
  # 10% of the compared commands served from the target's buffer (an exact accumulator)
  row BTCUSD | tee /dev/stderr | jq -e '.state == "shadowing" and .commands_compared >= 1000 and .mismatches == 0 and .verified_commands == 0 and (.commands_served_by_target * 10 - .commands_compared | fabs) <= 10' || return 1
  local before; before=$(row BTCUSD | jq .commands_served_by_target)
  pct '{"pair":"BTCUSD","percentage":50}' | jq -e '.pairs[0].current_percentage == 50' || return 1
  load BTCUSD 1s || return 1
  row BTCUSD | jq -e --argjson b "$before" '.state == "shadowing" and .commands_served_by_target > $b' || return 1
  pct '{"pair":"BTCUSD","percentage":100,"verify_commands":1000}' | jq -e '.pairs[0] | .state == "shadowing" and .current_percentage == 100 and .verify_commands == 1000' || return 1
  load BTCUSD 2s || return 1
  expect BTCUSD '.state == "cut_over" and .engine == "ts" and .verified_commands >= 1000 and .mismatches == 0 and .cut_over_at != null' || return 1
  grep -q '"msg":"Migration of BTCUSD cut over: the ts engine now owns the book"' "$S_LOG" || { echo 'no cut-over log line'; return 1; }
  curl -s -X POST "$B/api/orders" -H 'content-type: application/json' -d "$ORDER_BTC" | jq -e '.status == "active" or .status == "filled" or .status == "partially_filled"' || return 1
  # the breaker drill
  pct '{"pair":"ETHUSD","percentage":50}' | jq -e '.pairs[0].state == "shadowing"' || return 1
  load ETHUSD 1s || return 1
  test "$(curl -s -o "$WORK/mig-fault.json" -w '%{http_code}' -X POST "$B/admin/test/migration/fault" -d '{"pair":"ETHUSD"}')" = 202 || { echo "fault: $(cat "$WORK/mig-fault.json")"; return 1; }
  jq -e '.fault_armed == true and .state == "shadowing"' "$WORK/mig-fault.json" || return 1
  load ETHUSD 1s || return 1
  expect ETHUSD '.state == "rolled_back" and .engine == "native" and .current_percentage == 0 and .mismatches == 1 and .fault_armed == false and (.rollback_reason | test("mismatch")) and .last_mismatch.injected == true and .last_mismatch.source_event_hex != .last_mismatch.target_event_hex' || return 1
  jq -e -n -c '[inputs | select(.level == "WARN" and (.msg | startswith("Migration mismatch on ETHUSD: circuit breaker rolled the migration back to 0%")))] | length == 1' "$S_LOG" || { echo 'not one mismatch warn line'; return 1; }
  prom 'simex_migration_state{pair="ETHUSD",state="rolled_back"} 1' && prom 'simex_migration_mismatches{pair="ETHUSD"} 1' && prom 'simex_migration_state{pair="BTCUSD",state="cut_over"} 1' && prom 'simex_migration_percentage{pair="BTCUSD"} 100' || return 1
  # emergency stop: rolls back what shadows (ADAUSD), leaves the cut-over pair
  pct '{"pair":"ADAUSD","percentage":10}' | jq -e '.pairs[0].state == "shadowing"' || return 1
  curl -s -X POST "$B/admin/migration/emergency-stop" | jq -e '.rolled_back == ["ADAUSD"] and .active_migrations == 0 and .completed_migrations == 1' || return 1
  grep -q '"msg":"Migration emergency stop: rolled back ADAUSD to 0%"' "$S_LOG" || { echo 'no emergency-stop warn line'; return 1; }
  pct '{"pair":"BTCUSD","percentage":0}' | jq -e '.pairs[0] | .engine == "native" and .state == "rolled_back"' || return 1
  curl -s "$B/admin/migration/summary" | jq -e '.active_migrations == 0 and .completed_migrations == 0 and .mismatches_total == 1 and .engines == {"native": 3}'
}
export -f migration_check
step chaos-migration migration_check
if has stress-ng; then
  step chaos-cpu "node bin/simex.js loadgen --port $S_PORT --rate 2000 --duration 8s --json > \$WORK/cpu-load.json & sleep 2; stress-ng --cpu \"\$(nproc)\" --timeout 4s >/dev/null; wait; jq -e '.counters.acked > 0' \$WORK/cpu-load.json"
else want chaos-cpu && skip chaos-cpu stress-ng; fi
step chaos-freeze "node bin/simex.js loadgen --port $S_PORT --rate 2000 --duration 6s --json > \$WORK/freeze.json & sleep 2; kill -STOP $S_PID; sleep 2; kill -CONT $S_PID; wait; jq -c '{counters, max_us: .latency_us.corrected.max}' \$WORK/freeze.json; jq -e '.counters.acked > 0 and .latency_us.corrected.max >= 1500000' \$WORK/freeze.json"
step chaos-shard-crash "curl -s $B/api/symbols | jq -e -r '.symbols[] | \"\(.symbol) shard \(.shard)\"' && curl -s -X POST '$B/admin/test/shards/1/crash?how=throw' | jq -e '.shard == 1' && sleep 1 && curl -s $B/health | jq -e '{status, services} | .status == \"unhealthy\" and .services[\"shard-1\"] == \"down\"' && curl -s -X POST $B/api/orders -H 'content-type: application/json' -d \"\$ORDER_ETH\" | jq -e '.code == \"SHARD_UNAVAILABLE\"' && curl -s -X POST $B/api/orders -H 'content-type: application/json' -d \"\$ORDER_BTC\" | jq -e -r .status"
if want chaos-shutdown; then
  kill -TERM "$S_PID"; code=0; wait "$S_PID" || code=$?
  if [ "$code" = 0 ] && grep -q 'initiating graceful shutdown' "$S_LOG"; then ok chaos-shutdown "exit code $code"; else fail chaos-shutdown "exit code $code"; fi
else kill -INT "$S_PID" 2>/dev/null; wait "$S_PID" 2>/dev/null; fi
fi

# ----------------------------------------------------------------------------- path 3
if has bpftrace && [ "$(id -u)" = 0 ]; then
  if want ebpf- || [[ $only == ebpf* ]]; then
    start_server E ENGINE=native SHARDS=2 DEBUG_ENDPOINTS=1 || exit 1
    export E_PID E_PORT
    node bin/simex.js loadgen --port "$E_PORT" --rate 3000 --duration 120s --quiet > "$WORK/ebpf-load.log" 2>&1 &
    EL=$!
    sleep 1
    step ebpf-check-scripts "bpf/check-scripts.sh"
    step ebpf-match-latency "bpf/run-lab.sh match-latency $E_PID 2 | grep -E '@batch_ns\['"
    step ebpf-ops-per-book "bpf/run-lab.sh ops-per-book $E_PID 2 | grep -E '^[0-9:]{8} +[1-9]'"
    step ebpf-syscalls "bpf/ensure-tracefs.sh && timeout -s INT 40 bpftrace -e 'tracepoint:syscalls:sys_enter_* /pid == $E_PID/ { @[probe] = count(); }' | grep -E '@\[tracepoint:syscalls:sys_enter_(futex|sendto|write|epoll_wait)\]'"
    kill -INT "$EL" 2>/dev/null; wait "$EL" 2>/dev/null
    kill -INT "$E_PID"; wait "$E_PID" 2>/dev/null
  fi
else want ebpf && skip ebpf "bpftrace and root"; fi
step prof-cpu-prof "ENGINE=ts SHARDS=2 scripts/profile-cpu-prof.sh 3 --out \$WORK/cpu-prof 2>&1 | tee /dev/stderr | grep -q 'exited cleanly; 3 thread profile' && grep -l '\"onNew\"\|\"match\"' \$WORK/cpu-prof/thread-*.cpuprofile"
step prof-0x "scripts/profile-0x.sh 3 --out \$WORK/zx | tail -n1 | grep -q 'flamegraph.html\$'"
if has perf; then
  step prof-perf "SHARDS=1 scripts/profile-perf.sh 3 --out \$WORK/perf | tail -n1 | grep -q 'perf.svg\$' && grep -q 'JS:' \$WORK/perf/perf.txt"
else want prof-perf && skip prof-perf "perf (linux-perf)"; fi
if [ "$clinic" = 1 ] && want prof-clinic; then
  for t in doctor flame; do
    if scripts/clinic-profile.sh "$t" 5 --out "$WORK/clinic-$t" --timeout 180 > "$WORK/clinic-$t.out" 2>&1; then ok "prof-clinic-$t" "(best effort)"; else echo "SKIP prof-clinic-$t (best effort: clinic did not finish; see docs)"; fi
  done
fi

# ----------------------------------------------------------------------------- path 4
if want perf- || [[ $only == perf* ]]; then
  start_server P SHARDS=2 || exit 1
  start_server T ENGINE=ts SHARDS=2 || exit 1
  export P_PORT T_PORT
  step perf-baseline "node bin/simex.js loadgen --port $P_PORT --rate 3000 --duration 4s --json > \$WORK/baseline.json && jq -e '.achieved_rate > 0' \$WORK/baseline.json && curl -s http://127.0.0.1:$P_PORT/health | jq -e .engine"
  step perf-engine-bench "timeout 300 node dist/bench/engine.js --quick --impl native-batch,ts --no-file | grep -E '^(native-batch|ts) '"
  step perf-rate-step "for r in 2000 4000; do node bin/simex.js loadgen --port $P_PORT --rate \$r --duration 3s --json | jq -e -c \"{rate: \$r, achieved: .achieved_rate, p99: .latency_us.corrected.p99}\" || exit 1; done"
  # 4.2's "is the machine losing time": the report's steal share (Linux) and the floor runner
  step perf-steal "jq -e '.generator.machine_steal_percent >= 0' \$WORK/baseline.json"
  if has cc; then
    step perf-floor "node dist/bench/floor/run.js --rate 5000 --seconds 1 | grep -E '^floor at 5000 msg/s \\(batch 400 µs\\): p50 [0-9]+ p99 [0-9]+'"
  else want perf-floor && skip perf-floor "cc (a C compiler)"; fi
  step perf-ts-compare "node bin/simex.js loadgen --port $T_PORT --rate 3000 --duration 4s --json > \$WORK/ts.json && jq -e -s '.[0] as \$a | .[1] as \$b | {baseline_p99: \$a.latency_us.corrected.p99, ts_p99: \$b.latency_us.corrected.p99} | .ts_p99 > 0' \$WORK/baseline.json \$WORK/ts.json"
fi

echo "check-labs: $FAILS failed"
[ "$FAILS" = 0 ]
