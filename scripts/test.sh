#!/usr/bin/env bash
# Runs the whole test suite (set-up included). Same command as the README and CI.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build
swift test --parallel --num-workers 2 2>&1 | tee /tmp/clipkit-test.log
