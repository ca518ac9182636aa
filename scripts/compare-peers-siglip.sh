#!/usr/bin/env bash
# SigLIP base-patch16-224 image tower (random weights written with transformers), in one
# invocation with alternating rounds: transformers fp32, OpenVINO (f32 hint, default hint, NNCF
# int8) and clipkit fp32/bf16/int8; prints the CPU, its flags, OPENBLAS_CORETYPE and the ratios.
# The venv is compare-peers.sh's (same pinned versions); see scripts/peers/compare_siglip.py.
#
#   PEERS_VENV=/work/venv scripts/compare-peers-siglip.sh
#   SECONDS_PER_RUN=3 ROUNDS=2 BATCH=32 THREADS=2 scripts/compare-peers-siglip.sh
#
# Run on a quiet machine: every figure is the best of several timed runs after a warm-up.
set -euo pipefail
cd "$(dirname "$0")/.."

THREADS=${THREADS:-2}
BATCH=${BATCH:-32}
ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
MODEL_DIR=${MODEL_DIR:-${TMPDIR:-/tmp}/clipkit-peers-siglip-b16}
venv=${PEERS_VENV:-.build/peers-venv}
if [[ ! -x "$venv/bin/python" ]]; then
    echo "no venv at $venv: run scripts/compare-peers.sh once (it makes it) or set PEERS_VENV" >&2
    exit 1
fi

swift build -c release --product clipkit-bench
bench=$(swift build -c release --show-bin-path)/clipkit-bench
# The same thread count for every runtime; OpenBLAS reads OPENBLAS_NUM_THREADS.
OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS \
    "$venv/bin/python" scripts/peers/compare_siglip.py --model "$MODEL_DIR" --clipkit-bench "$bench" \
    --threads "$THREADS" --batch "$BATCH" --rounds "$ROUNDS" --seconds "$SECONDS_PER_RUN"
