#!/usr/bin/env bash
# Experiment: CPU exhaustion inside the simex process (worker threads spinning PERCENT% of
# each 100 ms, bounded by DURATION; also their own deadline).
# Hypothesis: the exchange keeps answering (/health healthy) under CPU pressure and latency
# returns within tolerance once the burners stop.
# Rollback: POST /demo/chaos-test/stop (always). Journal: $JOURNAL.
source "$(dirname "$0")/chaos-lib.sh"
DURATION="${DURATION:-10s}"; PERCENT="${PERCENT:-100}"; WORKERS="${WORKERS:-$(nproc)}"
experiment_begin "cpu-exhaustion" "${WORKERS} CPU burner threads at ${PERCENT}% for ${DURATION}"
add_rollback rollback_chaos_stop
body=$(jq -cn --arg d "$DURATION" --argjson p "$PERCENT" --argjson w "$WORKERS" \
  '{type: "resource_exhaustion", duration: $d, severity: "high", target: {component: "cpu", percentage: $p},
    parameters: {cpu_workers: $w}, recovery: {auto_recover: true, recovery_time: "3s"}}')
action start-resource-exhaustion POST /demo/chaos-test "$body" >/dev/null || { experiment_end failed; exit 1; }
pause 3
record_probe health-under-cpu-pressure GET /health '.status == "healthy"'
record_probe burners-spinning GET /demo/chaos-test/status '.cpu.busy_ms > 0'
wait_chaos_done 700 >/dev/null
record_probe chaos-results GET /demo/chaos-test/results '.status == "completed"'
experiment_end
