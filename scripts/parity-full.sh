#!/usr/bin/env bash
# Full-size parity against transformers (not part of CI: needs torch and ~4 GB of disk).
# Usage: scripts/parity-full.sh [b32] [l14] [siglip-b16] [so400m] [siglip2-b16]   (default: all)
# Gates: probabilities |Δp| <= 1e-5 and embeddings min cosine >= 0.99999 (clipkit-bench parity
# exits non-zero otherwise).
# Env: PYTHON (default: .venv-fixtures/bin/python, created from scripts/requirements-fixtures.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv-fixtures/bin/python}
if [ ! -x "$PYTHON" ]; then
    python3 -m venv .venv-fixtures
    .venv-fixtures/bin/pip install -q -r scripts/requirements-fixtures.txt
    PYTHON=.venv-fixtures/bin/python
fi
swift build -c release --product clipkit-bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for preset in "${@:-b32 l14 siglip-b16 so400m siglip2-b16}"; do
    for p in $preset; do
        echo "== $p: writing a random-weight model and transformers' outputs" >&2
        "$PYTHON" scripts/parity_full.py --preset "$p" --out "$work/$p"
        .build/release/clipkit-bench parity --model "$work/$p/model" --reference "$work/$p/reference.json" --pixels "$work/$p/pixels.f32"
        rm -rf "${work:?}/$p"
    done
done
