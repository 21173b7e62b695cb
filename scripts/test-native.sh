#!/usr/bin/env bash
# Builds and runs the C++ engine unit tests (native/test/*.cc, no Node) under
# AddressSanitizer + UndefinedBehaviorSanitizer. Exit status non-zero on any failure; the
# last line is "N passed, N failed". Used by `npm test` and CI.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/native-test
mkdir -p "$out"
CXX=${CXX:-g++}
flags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined
       -fno-sanitize-recover=undefined -Wall -Wextra -Wno-unused-parameter -Inative/src)
"$CXX" "${flags[@]}" native/src/book.cc native/src/engine.cc native/test/*.cc -o "$out/engine-tests"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
set +e
"$out/engine-tests" | tee "$out/result.txt"
status=${PIPESTATUS[0]}
set -e
if ! tail -n 1 "$out/result.txt" | grep -Eq '^[0-9]+ passed, 0 failed$'; then
  [ "$status" -ne 0 ] || status=1
  # a sanitizer abort prints no summary line: add one so the failure is counted
  tail -n 1 "$out/result.txt" | grep -Eq '^[0-9]+ passed, [0-9]+ failed$' || echo "0 passed, 1 failed"
fi
exit "$status"
