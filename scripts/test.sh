#!/usr/bin/env bash
# Runs the whole test suite, set-up included. The README's test command; CI runs it too.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build
swift test
scripts/browser-test.sh
