#!/usr/bin/env bash
# Experiment: latency injection (seed runbook Demo 4, step 2).
# Hypothesis: with LATENCY_MS added to PERCENT% of orders for DURATION, simex keeps serving
# (no errors beyond tolerance) and returns to its steady state once the fault is removed.
# Method: POST /demo/chaos-test latency_injection; probe status mid-way; wait for completion.
# Rollback: POST /demo/chaos-test/stop (always). Journal: $JOURNAL.
source "$(dirname "$0")/chaos-lib.sh"
DURATION="${DURATION:-20s}"; LATENCY_MS="${LATENCY_MS:-100}"; PERCENT="${PERCENT:-50}"
experiment_begin "latency-injection" "${LATENCY_MS} ms on ${PERCENT}% of orders for ${DURATION}; steady state must hold after recovery"
add_rollback rollback_chaos_stop
body=$(jq -cn --arg d "$DURATION" --argjson l "$LATENCY_MS" --argjson p "$PERCENT" \
  '{type: "latency_injection", duration: $d, severity: "medium", target: {component: "trading_engine", percentage: $p},
    parameters: {latency_ms: $l}, recovery: {auto_recover: true, recovery_time: "5s", graceful_recover: true}}')
action start-latency-injection POST /demo/chaos-test "$body" >/dev/null || { experiment_end failed; exit 1; }
pause 5
record_probe chaos-is-injecting GET /demo/chaos-test/status '.is_running == true and (.phase == "injection" or .phase == "sustained")'
wait_chaos_done 700 >/dev/null
record_probe chaos-results-recovered GET /demo/chaos-test/results '.summary.recovered == true'
experiment_end
