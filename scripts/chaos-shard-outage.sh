#!/usr/bin/env bash
# Experiment: shard outage, blast radius (reversible: the edge refuses the shard's orders with
# SHARD_UNAVAILABLE; the worker itself keeps running, so /health stays healthy — a finding).
# Hypothesis: only SHARD's symbols fail; other symbols keep trading; steady state after.
# Set MODE=throw|exit|hang for a REAL crash (server needs SIMEX_TEST_ROUTES=true; the shard
# stays down until restart, so the AFTER hypothesis deviates — that is the finding).
# Rollback: POST /demo/chaos-test/stop (always). Journal: $JOURNAL.
source "$(dirname "$0")/chaos-lib.sh"
DURATION="${DURATION:-10s}"; SHARD="${SHARD:-0}"; MODE="${MODE:-outage}"
experiment_begin "shard-outage" "shard-${SHARD} ${MODE} for ${DURATION}"
add_rollback rollback_chaos_stop
body=$(jq -cn --arg d "$DURATION" --arg c "shard-$SHARD" --arg m "$MODE" \
  '{type: "service_failure", duration: $d, severity: "high", target: {component: $c, percentage: 100},
    parameters: {mode: $m}, recovery: {auto_recover: true, recovery_time: "3s"}}')
action start-service-failure POST /demo/chaos-test "$body" >/dev/null || { experiment_end failed; exit 1; }
pause 3
record_probe affected-symbols GET /demo/chaos-test/status '(.affected_symbols | length) > 0'
record_probe symbols-status GET /api/symbols '.count > 0'
wait_chaos_done 700 >/dev/null
record_probe chaos-results GET /demo/chaos-test/results '.status == "completed"'
experiment_end
