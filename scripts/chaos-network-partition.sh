#!/usr/bin/env bash
# Experiment: network partition through the loopback chaos proxy (tc netem does not work on
# our machines: the fault lives in simex's own Toxiproxy-like proxy).
# Hypothesis: a client behind the proxy cannot reach simex while the `timeout` toxic is on
# (its requests time out), clients that connect directly are unaffected, and the proxy is
# gone after the rollback.
# Rollback: POST /demo/chaos-test/stop (always). Journal: $JOURNAL.
source "$(dirname "$0")/chaos-lib.sh"
DURATION="${DURATION:-10s}"; TOXIC="${TOXIC:-timeout}"
experiment_begin "network-partition" "toxic ${TOXIC} on every connection through the proxy for ${DURATION}"
add_rollback rollback_chaos_stop
body=$(jq -cn --arg d "$DURATION" --arg t "$TOXIC" \
  '{type: "network_partition", duration: $d, severity: "high", target: {component: "network", percentage: 100},
    parameters: {toxic: $t}, recovery: {auto_recover: true, recovery_time: "0s"}}')
resp=$(action start-network-partition POST /demo/chaos-test "$body") || { experiment_end failed; exit 1; }
proxy=$(jq -r '.proxy.listen // empty' <<<"$resp")
# A client behind the partition: bounded curl through the proxy must NOT get an answer.
partitioned_client() {
  local start t0 code
  start=$(_now); t0=$(_ms)
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$proxy/health" || true)
  local st=failed; [ "$code" = 000 ] && st=succeeded
  _J_RUN=$(jq -c --argjson a "$(_activity probe client-behind-proxy-times-out "$st" "$(jq -cn --arg p "$proxy" --arg c "$code" '{proxy: $p, http_status: $c}')" "$start" "$t0")" '. + [$a]' <<<"$_J_RUN")
  echo "  [method] probe client-behind-proxy-times-out ($proxy): $st (HTTP $code)" >&2
}
[ -n "$proxy" ] && partitioned_client
record_probe direct-client-unaffected GET /health '.status == "healthy"'
wait_chaos_done 700 >/dev/null
record_probe chaos-results GET /demo/chaos-test/results '.status == "completed"'
experiment_end
