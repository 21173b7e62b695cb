#!/usr/bin/env bash
# Experiment: error simulation (seed runbook Demo 4, step 7).
# Hypothesis: rejecting ERROR_RATE of PERCENT% of new orders with CHAOS_INJECTED shows up in
# /api/metrics error_rate while it lasts, and the error rate returns within tolerance after.
# Method: POST /demo/chaos-test error_simulation; probe that errors are being generated.
# Rollback: POST /demo/chaos-test/stop (always). Journal: $JOURNAL.
source "$(dirname "$0")/chaos-lib.sh"
DURATION="${DURATION:-15s}"; ERROR_RATE="${ERROR_RATE:-0.15}"; PERCENT="${PERCENT:-25}"
experiment_begin "error-simulation" "reject ${ERROR_RATE} of ${PERCENT}% of new orders for ${DURATION}"
add_rollback rollback_chaos_stop
body=$(jq -cn --arg d "$DURATION" --argjson e "$ERROR_RATE" --argjson p "$PERCENT" \
  '{type: "error_simulation", duration: $d, severity: "low", target: {component: "order_service", percentage: $p},
    parameters: {error_rate: $e}, recovery: {auto_recover: true, recovery_time: "5s", graceful_recover: false}}')
action start-error-simulation POST /demo/chaos-test "$body" >/dev/null || { experiment_end failed; exit 1; }
pause 6
record_probe errors-being-injected GET /demo/chaos-test/status '.metrics.successful_injections > 0'
wait_chaos_done 700 >/dev/null
record_probe chaos-results GET /demo/chaos-test/results '.status == "completed"'
experiment_end
