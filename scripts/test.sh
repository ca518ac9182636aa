#!/usr/bin/env bash
# Runs the whole test suite, set-up included. The README's test command; CI runs it too.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build
# One test at a time: on a 2-core machine, suites running side by side (model parity, real
# servers, timeouts) starved each other into spurious failures; serial runs ~105 s instead of
# ~35 s and passed even with two busy loops competing for the cores.
swift test --no-parallel
# The int8/bf16 model tests again on the AVX2 and portable kernels (the kernel tests already ran
# every variant this CPU has against the reference).
for kernel in avx2 scalar; do CLIPKIT_KERNEL=$kernel swift test --skip-build --filter "PrecisionModelTests|ReducedPrecisionKernelTests"; done
# Python binding and Spark stages (python/tests) against the debug build's library and CLI.
# Exit status 5 means pytest collected nothing (e.g. pyspark missing): not a failure here.
status=0
CLIPKIT_LIBRARY="$PWD/.build/debug/libCLIPKitC.so" CLIPKIT_CLI="$PWD/.build/debug/clipkit" \
    PYTHONPATH="$PWD/python" .venv-test/bin/python -m pytest -q python/tests || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 5 ]; then exit "$status"; fi
# The web page of `clipkit serve` in headless Chromium.
scripts/browser-test.sh
# Under CI the suite also runs under AddressSanitizer (scripts/sanitize.sh; see docs/robustness.md
# for its cost). Set SANITIZE=0 to skip it, SANITIZE=1 to run it outside CI.
if [ "${SANITIZE:-${CI:+1}}" = 1 ]; then scripts/sanitize.sh; fi
