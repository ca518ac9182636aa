#!/usr/bin/env bash
# Compares clipkit with Hugging Face transformers (torch) and ONNX Runtime on the same
# random-weight ViT-B/32, in one invocation: image tower at batch 32, text tower on 1000 prompts,
# end to end over 64 JPEGs (HF's zero-shot pipeline with the PIL processor vs clipkit's batch
# pipeline), and clipkit's cold start; ONNX Runtime dynamic int8 (speed, and its accuracy on the
# model and on a copy with outlier LayerNorm dimensions), OpenVINO (f32 hint, default hint = bf16
# where the CPU has it, NNCF static int8 calibrated on 64 photos; speed and the same accuracy
# figures), clipkit bf16/int8 when the build has
# --precision. Prints the CPU and its flags, images/s, prompts/s and the ratios of issues 6 and 10;
# clipkit int8 end to end also runs in every alternating round, and its ratio to ORT's int8 tower
# is printed per round as well as best against best.
#
#   scripts/compare-peers.sh                    # makes .build/peers-venv with pinned versions
#   PEERS_VENV=/work/venv scripts/compare-peers.sh   # reuses a venv that has them
#   SECONDS_PER_RUN=10 THREADS=2 MODEL_DIR=/tmp/clip-b32 scripts/compare-peers.sh
#   PRESET=l14 BATCH=8 LABELS=100 scripts/compare-peers.sh   # ViT-L/14 (issue 18: batch 8)
#
# Run on a quiet machine: every figure is the best of several timed runs after a warm-up.
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_VERSION=2.15.0
TRANSFORMERS_VERSION=5.23.0
ONNXRUNTIME_VERSION=1.32.0
ONNX_VERSION=1.23.2
ONNXSCRIPT_VERSION=0.7.2
OPENVINO_VERSION=2026.4.1
NNCF_VERSION=3.4.0
THREADS=${THREADS:-2}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
PRESET=${PRESET:-b32}
BATCH=${BATCH:-32}
LABELS=${LABELS:-1000}
MODEL_DIR=${MODEL_DIR:-${TMPDIR:-/tmp}/clipkit-peers-$PRESET}

venv=${PEERS_VENV:-.build/peers-venv}
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet \
        "torch==$TORCH_VERSION" "transformers==$TRANSFORMERS_VERSION" \
        "onnxruntime==$ONNXRUNTIME_VERSION" "onnx==$ONNX_VERSION" "onnxscript==$ONNXSCRIPT_VERSION" \
        "openvino==$OPENVINO_VERSION" "nncf==$NNCF_VERSION" \
        numpy safetensors pillow
fi
"$venv/bin/python" - <<EOF
import nncf, onnxruntime, openvino, torch, transformers
print("torch", torch.__version__, "| transformers", transformers.__version__, "| onnxruntime", onnxruntime.__version__,
      "| openvino", openvino.__version__, "| nncf", nncf.__version__)
EOF

swift build -c release --product clipkit-bench
swift build -c release --product clipkit
bin=$(swift build -c release --show-bin-path)
bench=$bin/clipkit-bench
"$bench" write-model --preset "$PRESET" --out "$MODEL_DIR"
# The same weights with three LayerNorm dimensions per layer x50 (CLIP-like outliers).
"$venv/bin/python" scripts/peers/make_outlier_model.py "$MODEL_DIR" "$MODEL_DIR-outliers"

# End to end: 64 JPEGs of 500x375 cut from the example photos, unless IMAGES_DIR names a folder.
if [[ -z "${IMAGES_DIR:-}" ]]; then
    IMAGES_DIR=${TMPDIR:-/tmp}/clipkit-peers-images
    "$venv/bin/python" scripts/peers/make_images.py "$IMAGES_DIR"
fi

flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' |
        grep -x -E 'avx2|fma|avx512f|avx512bw|avx512vl|avx512_vnni|avx512_bf16|amx_tile|amx_int8|amx_bf16' | xargs)
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores;" \
     "flags: ${flags:-none of avx2/avx512}; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset};" \
     "load: $(cut -d' ' -f1-3 /proc/loadavg)"
# The same thread count for every runtime; OpenBLAS reads OPENBLAS_NUM_THREADS.
OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS \
    "$venv/bin/python" scripts/peers/compare_peers.py --model "$MODEL_DIR" --clipkit-bench "$bench" \
    --threads "$THREADS" --seconds "$SECONDS_PER_RUN" --images "$IMAGES_DIR" --clipkit "$bin/clipkit" \
    --batch "$BATCH" --labels "$LABELS" \
    --outlier-model "$MODEL_DIR-outliers"
