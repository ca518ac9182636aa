#!/usr/bin/env bash
# Runs the kernel tests (FP32KernelTests, ReducedPrecisionKernelTests) with every x86 kernel
# variant on emulated intrinsics (Tests/EmulatedISA): the AVX-512, VNNI and BF16 kernels are
# compared with the scalar ones on any x86-64 CPU, the AVX2-only machines included. Three runs:
# plainly with 12- and with 8-bit int8 activations, then under AddressSanitizer + UBSan (an
# emulated vector load reads every byte it covers, so an over-read that real hardware would not
# notice fails here). Results are exact where the instructions are; speed means nothing. Needs
# libsimde-dev (scripts/bootstrap.sh). Extra arguments go to `swift test` (e.g. --filter int8).
# scripts/test.sh runs it.
set -euo pipefail
cd "$(dirname "$0")/../Tests/EmulatedISA"
if [ "$(uname -m)" != x86_64 ]; then
    echo "emulated-ISA kernel tests: x86-64 only; skipped on $(uname -m)" >&2
    exit 0
fi
export CLIPKIT_EMULATED_ISA=1  # the tests then require every variant to run
start=$(date +%s)
swift build --build-tests
swift test --skip-build --no-parallel "$@"
CLIPKIT_INT8_ACTIVATION_BITS=8 swift test --skip-build --no-parallel "$@"
asan=(--sanitize=address --scratch-path .build-asan -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined)
# ld.gold's "cannot export local symbol __asan_*" warnings are the toolchain's, not ours.
swift build --build-tests "${asan[@]}" 2>&1 | { grep -v "Cannot export local symbol '__asan" || true; }
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:halt_on_error=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    swift test --skip-build --no-parallel "${asan[@]}" "$@"
echo "emulated-ISA kernel tests (12-bit, 8-bit, AddressSanitizer + UBSan): $(( $(date +%s) - start )) s" >&2
