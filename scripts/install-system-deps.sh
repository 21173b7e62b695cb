#!/usr/bin/env bash
# Debian packages simex's build, tests and labs need. CI runs this before `npm ci`.
# Each engineer appends the packages their tests need to PACKAGES (one per line, with why).
set -euo pipefail

PACKAGES=(
  python3 make g++          # node-gyp builds the native engine
  systemtap-sdt-dev         # <sys/sdt.h>: USDT probes compiled into the addon
  bpftrace                  # bpf/ labs (bpftrace -d checks, live uprobe/USDT runs)
  linux-perf                # perf record/script for the perf flamegraph lab
  prometheus                # promtool check metrics/rules, a real scrape in tests
  chromium                  # headless dashboard test (playwright-core drives it)
  golang-go                 # `go tool pprof` reads /debug/pprof output in test/profiling
  stress-ng                 # docs/labs chaos path: CPU pressure step (scripts/check-labs.sh)
  jq curl                   # scripts/chaos-*.sh experiments (journal JSON, probes); test/chaos
  wrk                       # bench/e2e-rest.ts: REST load in C (autocannon caps near 15k req/s here)
)

if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${PACKAGES[@]}"
