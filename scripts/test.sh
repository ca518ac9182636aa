#!/usr/bin/env bash
# Runs the whole test suite, set-up included. The README's test command; CI runs it too.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build
swift test
# Under CI the suite also runs under AddressSanitizer (scripts/sanitize.sh; see docs/robustness.md
# for its cost). Set SANITIZE=0 to skip it, SANITIZE=1 to run it outside CI.
if [ "${SANITIZE:-${CI:+1}}" = 1 ]; then scripts/sanitize.sh; fi
