#!/usr/bin/env bash
# Runs the test suite under AddressSanitizer (scratch path .build-asan), then, with
# SANITIZE_UBSAN=1, under UndefinedBehaviorSanitizer (.build-ubsan). Extra arguments go to
# `swift test` (e.g. --filter Suite). scripts/test.sh calls it when CI is set.
#
# ASAN_OPTIONS: leak detection is off (the Swift runtime keeps metadata caches alive on purpose,
# which LeakSanitizer reports); every other ASan check is on and any report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Timing assertions (a stalled transfer must be retried within 20 s) measure the machine, not
# memory safety, and fail when instrumented code runs 2-3 times slower: skipped here.
skip=(--skip aStalledTransferTimesOutAndIsRetried)

start=$(date +%s)
swift build --build-tests --sanitize=address --scratch-path .build-asan
swift test --skip-build --sanitize=address --scratch-path .build-asan "${skip[@]}" "$@"
echo "AddressSanitizer pass: $(( $(date +%s) - start )) s" >&2

if [ "${SANITIZE_UBSAN:-0}" = 1 ]; then
    start=$(date +%s)
    swift build --build-tests --sanitize=undefined --scratch-path .build-ubsan
    swift test --skip-build --sanitize=undefined --scratch-path .build-ubsan "${skip[@]}" "$@"
    echo "UndefinedBehaviorSanitizer pass: $(( $(date +%s) - start )) s" >&2
fi
