#!/usr/bin/env bash
# Compiles every lab with `bpftrace -d` (parse + semantic analysis + codegen, no attach) and
# classifies each: OK, ENV (this machine cannot even compile it: tracepoint formats missing
# because tracefs is not mounted, or the probed binary is absent), FAIL (a real error in
# the script). Exit 1 if any FAIL. One line per script: "<verdict> <lab> [reason]".
#
# usage: bpf/check-scripts.sh [ADDON] [NODE]
set -uo pipefail
source "$(dirname "$0")/lib.sh"
addon=${1:-$(cd "$BPF_DIR/.." && pwd)/build/Release/simex_engine.node}
node_bin=${2:-$(readlink -f "$(command -v node)")}
bash "$BPF_DIR/ensure-tracefs.sh" 2>/dev/null || true
fail=0
for lab in "${LABS[@]}"; do
  kind=$(lab_kind "$lab")
  args=$(lab_args "$lab" 1 "$addon" "$node_bin")
  if [[ ($kind == usdt || $kind == uprobe-addon) && ! -e $addon ]]; then
    echo "ENV  $lab addon not built: $addon"; continue
  fi
  # shellcheck disable=SC2086
  out=$(bpftrace -d "$BPF_DIR/$lab.bt" $args 2>&1 >/dev/null; echo "rc=$?")
  rc=${out##*rc=}
  errs=$(printf '%s\n' "$out" | grep 'ERROR' | grep -v 'RLIMIT_MEMLOCK' || true)
  if [ "$rc" = 0 ] && [ -z "$errs" ]; then
    echo "OK   $lab ($kind)"
  elif printf '%s' "$errs" | grep -q 'tracepoint not found'; then
    echo "ENV  $lab tracepoint not found (tracefs not mounted or event missing on this kernel)"
  else
    echo "FAIL $lab $(printf '%s' "$errs" | head -n3 | tr '\n' ' ')"
    fail=1
  fi
done
exit $fail
