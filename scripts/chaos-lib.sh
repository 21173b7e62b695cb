#!/usr/bin/env bash
# Chaos Toolkit-style experiment runner for simex (sourced by scripts/chaos-*.sh).
#
# An experiment = steady-state hypothesis (probes with tolerances) checked BEFORE and AFTER,
# a method (actions against the chaos API, probes during), rollbacks that always run, and a
# JSON journal of what ran (fields modelled on Chaos Toolkit's journal.json: status,
# deviated, steady_states.before/after, run[], rollbacks[], start, end, duration).
#
# Safety: targets loopback only (SIMEX_URL must be http://127.x or localhost), every curl is
# bounded (--max-time), every experiment has a fixed duration, rollbacks run on exit/signal.
#
# Environment:
#   SIMEX_URL        server base URL (default http://127.0.0.1:8080)
#   JOURNAL          journal path (default ./chaos-journal-<experiment>-<utc>.json)
#   ERR_TOL          steady state: max /api/metrics error_rate, percent (default 1)
#   P99_TOL_US       steady state: max last-second p99 ack latency, µs (default 100000)
#   SETTLE_S         wait before the AFTER hypothesis (default 12: the error-rate window)
#   DURATION         experiment duration (default per experiment, max 600s)
# Exit codes: 0 completed (hypothesis held before and after), 1 deviated (after failed),
#             2 aborted (before failed: nothing injected), 3 usage/environment error.
set -uo pipefail

SIMEX_URL="${SIMEX_URL:-http://127.0.0.1:8080}"
ERR_TOL="${ERR_TOL:-1}"
P99_TOL_US="${P99_TOL_US:-100000}"
SETTLE_S="${SETTLE_S:-12}"

case "$SIMEX_URL" in
  http://127.*|http://localhost*|http://\[::1\]*) ;;
  *) echo "chaos: refusing non-loopback SIMEX_URL=$SIMEX_URL" >&2; exit 3 ;;
esac
for t in curl jq; do command -v "$t" >/dev/null || { echo "chaos: $t is required" >&2; exit 3; }; done

_now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
_ms() { date +%s%3N; }

# journal state (JSON fragments, appended with jq)
_J_RUN='[]'; _J_RB='[]'; _J_BEFORE='null'; _J_AFTER='null'; _J_START=''; _J_T0=0
_EXP_TITLE=''; _EXP_DESC=''; _ROLLBACKS_DONE=0; _ROLLBACK_FNS=()

# http METHOD PATH [BODY] -> prints "<status>\t<body>"
http() {
  local method=$1 path=$2 body=${3:-}
  local out
  if [ -n "$body" ]; then
    out=$(curl -s --max-time 10 -o - -w '\n%{http_code}' -X "$method" -H 'content-type: application/json' -d "$body" "$SIMEX_URL$path")
  else
    out=$(curl -s --max-time 10 -o - -w '\n%{http_code}' -X "$method" "$SIMEX_URL$path")
  fi
  local code=${out##*$'\n'}
  local text=${out%$'\n'*}
  [ "$code" = "$out" ] && text=''
  printf '%s\t%s' "$code" "$text"
}

# _activity TYPE NAME STATUS OUTPUT_JSON START_ISO T0_MS -> JSON
_activity() {
  jq -cn --arg type "$1" --arg name "$2" --arg status "$3" --argjson output "${4:-null}" --arg start "$5" \
    --arg fin "$(_now)" --argjson dur "$(( $(_ms) - $6 ))" \
    '{activity: {type: $type, name: $name}, status: $status, output: $output, start: $start, "end": $fin, duration: ($dur / 1000)}'
}

_json_or_str() { jq -c . <<<"$1" 2>/dev/null || jq -cn --arg s "$1" '$s'; }

# probe NAME METHOD PATH JQ_TOLERANCE -> echoes activity JSON; returns 0 when tolerance holds
probe() {
  local name=$1 method=$2 path=$3 tol=$4 start t0 r code body ok
  start=$(_now); t0=$(_ms)
  r=$(http "$method" "$path"); code=${r%%$'\t'*}; body=${r#*$'\t'}
  ok=$(jq -r "try ($tol) catch false" <<<"$body" 2>/dev/null || echo false)
  local out
  out=$(jq -cn --arg code "$code" --argjson body "$(_json_or_str "$body")" --arg tol "$tol" --arg ok "$ok" \
    '{http_status: ($code|tonumber? // 0), tolerance: $tol, tolerance_met: ($ok == "true"), value: $body}')
  _activity probe "$name" "$([ "$ok" = true ] && echo succeeded || echo failed)" "$out" "$start" "$t0"
  [ "$ok" = true ]
}

# The steady-state hypothesis: /health healthy, error rate and p99 within tolerance.
steady_state() {
  local which=$1 met=true probes='[]' a
  for spec in \
    "health|GET|/health|.status == \"healthy\"" \
    "error-rate-within-tolerance|GET|/api/metrics|(.error_rate // 0) <= $ERR_TOL" \
    "p99-ack-latency-within-tolerance|GET|/api/metrics/live|(.ack.p99_us == null) or (.ack.p99_us <= $P99_TOL_US)"; do
    IFS='|' read -r n m p t <<<"$spec"
    a=$(probe "$n" "$m" "$p" "$t") || met=false
    probes=$(jq -c --argjson a "$a" '. + [$a]' <<<"$probes")
    echo "  [$which] $(jq -r '"\(.activity.name): \(.status) (\(.output.tolerance))"' <<<"$a")" >&2
  done
  jq -cn --argjson met "$met" --argjson probes "$probes" '{steady_state_met: $met, probes: $probes}'
}

# action NAME METHOD PATH [BODY] -> records it; prints the response body; 0 on 2xx
action() {
  local name=$1 method=$2 path=$3 body=${4:-} start t0 r code text
  start=$(_now); t0=$(_ms)
  r=$(http "$method" "$path" "$body"); code=${r%%$'\t'*}; text=${r#*$'\t'}
  local ok=false; [[ "$code" =~ ^2 ]] && ok=true
  local out
  out=$(jq -cn --arg code "$code" --argjson req "$(_json_or_str "${body:-null}")" --argjson body "$(_json_or_str "$text")" \
    '{http_status: ($code|tonumber? // 0), request: $req, response: $body}')
  _J_RUN=$(jq -c --argjson a "$(_activity action "$name" "$([ $ok = true ] && echo succeeded || echo failed)" "$out" "$start" "$t0")" '. + [$a]' <<<"$_J_RUN")
  echo "  [method] $name -> HTTP $code" >&2
  printf '%s' "$text"
  [ $ok = true ]
}

# record_probe NAME METHOD PATH TOLERANCE: a probe inside the method (journaled, never fatal)
record_probe() {
  local a
  a=$(probe "$@") || true
  _J_RUN=$(jq -c --argjson a "$a" '. + [$a]' <<<"$_J_RUN")
  echo "  [method] probe $1: $(jq -r .status <<<"$a")" >&2
}

pause() { echo "  [method] pause ${1}s" >&2; sleep "$1"; }

# Register a rollback (a shell function name); they run once, on exit, in order.
add_rollback() { _ROLLBACK_FNS+=("$1"); }

# Built-in rollback: stop any running chaos test (removes every fault).
rollback_chaos_stop() {
  local start t0 r
  start=$(_now); t0=$(_ms)
  r=$(http POST /demo/chaos-test/stop)
  local code=${r%%$'\t'*} body=${r#*$'\t'}
  # 409 = nothing was running any more (the test ended by itself): the rollback holds.
  local st=failed; { [[ "$code" =~ ^2 ]] || [ "$code" = 409 ]; } && st=succeeded
  _J_RB=$(jq -c --argjson a "$(_activity action chaos-test-stop "$st" "$(jq -cn --arg c "$code" --argjson b "$(_json_or_str "$body")" '{http_status: ($c|tonumber? // 0), response: $b}')" "$start" "$t0")" '. + [$a]' <<<"$_J_RB")
  echo "  [rollback] chaos-test-stop -> HTTP $code" >&2
}

_run_rollbacks() {
  [ "$_ROLLBACKS_DONE" = 1 ] && return
  _ROLLBACKS_DONE=1
  for f in "${_ROLLBACK_FNS[@]}"; do "$f" || true; done
}

# Wait (bounded) until the running chaos test has completed; prints its final status.
wait_chaos_done() {
  local max=$1 t0 r body
  t0=$(date +%s)
  while :; do
    r=$(http GET /demo/chaos-test/status); body=${r#*$'\t'}
    if [ "$(jq -r '.is_running' <<<"$body" 2>/dev/null)" = false ]; then printf '%s' "$body"; return 0; fi
    if [ $(( $(date +%s) - t0 )) -ge "$max" ]; then printf '%s' "$body"; return 1; fi
    sleep 1
  done
}

# experiment_begin TITLE DESCRIPTION: runs the BEFORE hypothesis (exit 2 if it fails)
experiment_begin() {
  _EXP_TITLE=$1; _EXP_DESC=$2
  _J_START=$(_now); _J_T0=$(_ms)
  JOURNAL="${JOURNAL:-./chaos-journal-$(echo "$_EXP_TITLE" | tr -c 'a-zA-Z0-9\n' '-' | tr 'A-Z' 'a-z')-$(date -u +%Y%m%dT%H%M%SZ).json}"
  trap '_run_rollbacks; experiment_end interrupted; exit 130' INT TERM
  echo "experiment: $_EXP_TITLE ($SIMEX_URL)" >&2
  echo "steady-state hypothesis (before):" >&2
  _J_BEFORE=$(steady_state before)
  if [ "$(jq -r .steady_state_met <<<"$_J_BEFORE")" != true ]; then
    echo "steady state not met before the experiment: aborting, nothing injected" >&2
    experiment_end aborted
    exit 2
  fi
}

# experiment_end [STATUS]: rollbacks, AFTER hypothesis (after SETTLE_S), journal, exit code
experiment_end() {
  local status=${1:-}
  _run_rollbacks
  if [ -z "$status" ]; then
    echo "settling ${SETTLE_S}s, then steady-state hypothesis (after):" >&2
    sleep "$SETTLE_S"
    _J_AFTER=$(steady_state after)
    if [ "$(jq -r .steady_state_met <<<"$_J_AFTER")" = true ]; then status=completed; else status=deviated; fi
  fi
  jq -n --arg title "$_EXP_TITLE" --arg desc "$_EXP_DESC" --arg url "$SIMEX_URL" --arg status "$status" \
    --arg start "$_J_START" --arg fin "$(_now)" --argjson dur "$(( $(_ms) - _J_T0 ))" \
    --argjson before "$_J_BEFORE" --argjson after "$_J_AFTER" --argjson run "$_J_RUN" --argjson rb "$_J_RB" \
    --arg errtol "$ERR_TOL" --arg p99tol "$P99_TOL_US" '{
      experiment: {title: $title, description: $desc, target: $url,
        "steady-state-hypothesis": {title: "simex is healthy, error rate and p99 ack latency within tolerance",
          probes: ["GET /health .status == healthy", "GET /api/metrics .error_rate <= \($errtol)", "GET /api/metrics/live .ack.p99_us <= \($p99tol)"]}},
      status: $status, deviated: ($status == "deviated"), start: $start, "end": $fin, duration: ($dur / 1000),
      steady_states: {before: $before, after: $after, during: []}, run: $run, rollbacks: $rb}' > "$JOURNAL"
  echo "status: $status; journal: $JOURNAL" >&2
  case "$status" in completed) return 0 ;; deviated) exit 1 ;; *) return 0 ;; esac
}
