#!/usr/bin/env bash
# Runs the test suite under AddressSanitizer (scratch path .build-asan), with the C targets
# (image codec glue, kernels) also under UndefinedBehaviorSanitizer. Extra arguments go to
# `swift test` (e.g. --filter Suite). scripts/test.sh calls it under CI.
#
# Swift code needs no UBSan: its arithmetic traps on overflow and its accesses are checked
# (and swiftc has no -sanitize=undefined on Linux). The UBSan handlers come from the ASan
# runtime, so one build covers both; -fno-sanitize-recover makes any report fail the run.
# ASAN_OPTIONS: leak detection is off for the suite (libcurl, used by URLSession, and the Swift
# runtime keep allocations alive on purpose); the fuzz targets run with LeakSanitizer on.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Timing assertions (a stalled transfer must be retried within 20 s; the server's deadlines,
# its label cache within a request deadline, 16 loopback clients within a read timeout) measure
# the machine, not memory safety, and fail when instrumented code runs 3-10 times slower:
# skipped here (the plain suite runs them).
skip=(--skip 'aStalledTransferTimesOutAndIsRetried|LimitsTests/deadline\(\)|LimitsTests/labelCache|LoopbackTests/concurrentClients')
flags=(--sanitize=address --scratch-path .build-asan
       -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined)

start=$(date +%s)
swift build --build-tests "${flags[@]}"
# One test at a time, as in scripts/test.sh: suites running side by side on a small machine
# starve each other's servers and clocks.
swift test --skip-build --no-parallel "${flags[@]}" "${skip[@]}" "$@"
echo "AddressSanitizer (+ UBSan for C) pass: $(( $(date +%s) - start )) s" >&2
