#!/usr/bin/env bash
# The text-embedding cache benchmark of issue 12: `clipkit classify` with 1,000 labels × the 80
# openai-imagenet templates (80,000 prompts) on a random-weight ViT-B/32, run twice on the same
# images with an empty cache: the first run encodes every prompt, the second reads them from
# the cache. A third run (one label, one template, --no-cache) is the floor: process start,
# model load and the image work alone. Prints the CPU, the three wall times and the ratios.
#
#   scripts/bench-text-cache.sh                       # builds release, writes the model to /tmp
#   MODEL_DIR=/tmp/clip-b32 THREADS=2 scripts/bench-text-cache.sh
#
# Labels: the 1,000 ImageNet class names of open_clip (when PYTHON has open_clip_torch),
# otherwise "object 1" … "object 1000" (shorter prompts, so a faster first run).
set -euo pipefail
cd "$(dirname "$0")/.."

MODEL_DIR=${MODEL_DIR:-${TMPDIR:-/tmp}/clipkit-bench-b32}
WORK=${WORK:-${TMPDIR:-/tmp}/clipkit-bench-text-cache}
PYTHON=${PYTHON:-/work/venv/bin/python}
THREADS=${THREADS:-$(nproc)}
export PATH=/opt/swift/usr/bin:$PATH

swift build -c release --product clipkit >&2
swift build -c release --product clipkit-bench >&2
bin=$(swift build -c release --show-bin-path)

if [[ ! -f "$MODEL_DIR/model.safetensors" ]]; then
    "$bin/clipkit-bench" write-model --preset b32 --out "$MODEL_DIR" >&2
fi
cp Tests/Fixtures/models/tiny-clip/preprocessor_config.json "$MODEL_DIR/" 2>/dev/null || true

rm -rf "$WORK"
mkdir -p "$WORK/images"
cp Tests/Fixtures/cli/images/a.png Tests/Fixtures/cli/images/b.png Tests/Fixtures/cli/images/c.png \
   Tests/Fixtures/cli/jpeg/photo.jpg "$WORK/images/"
labels="$WORK/labels.txt"
if "$PYTHON" -c "import open_clip" 2>/dev/null; then
    "$PYTHON" - "$labels" <<'EOF'
import sys
from open_clip.zero_shot_metadata import IMAGENET_CLASSNAMES
names = list(dict.fromkeys(IMAGENET_CLASSNAMES))  # open_clip lists "missile" twice
while len(names) < 1000:
    names.append(f"object {len(names)}")
open(sys.argv[1], "w").write("\n".join(names[:1000]) + "\n")
EOF
    source="open_clip's ImageNet class names"
else
    seq -f "object %g" 1 1000 > "$labels"
    source="synthetic labels"
fi

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512bw|avx512vl|avx512_vnni|avx512_bf16|fma)$' | tr '\n' ' ')"
echo "cores: $(nproc), threads used: $THREADS, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "labels: 1000 ($source) × 80 templates (openai-imagenet) = 80,000 prompts; 4 images; model: random ViT-B/32"

run() {  # label, then classify arguments; prints seconds
    local start end
    start=$(date +%s.%N)
    XDG_CACHE_HOME="$WORK/xdg" "$bin/clipkit" classify --model "$MODEL_DIR" --threads "$THREADS" \
        --format jsonl -o "$WORK/$1.jsonl" "${@:2}" "$WORK/images" 2>"$WORK/$1.err"
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

first=$(run first --labels-file "$labels" --templates openai-imagenet)
second=$(run second --labels-file "$labels" --templates openai-imagenet)
floor=$(run floor --label cat --no-cache)
cmp -s "$WORK/first.jsonl" "$WORK/second.jsonl" && same="identical" || same="DIFFERENT"
size=$(du -b "$WORK"/xdg/clipkit/text-embeddings/*.bin | cut -f1)

printf 'first run (encode 80,000 prompts, fill cache): %8.2f s\n' "$first"
printf 'second run (cache hit):                         %8.2f s\n' "$second"
printf 'floor (1 label, no cache: start + load + images):%7.2f s\n' "$floor"
printf 'first / second: %.1fx; second - floor: %.2f s; cache file %.1f MB; outputs %s\n' \
    "$(echo "$first / $second" | bc -l)" "$(echo "$second - $floor" | bc -l)" "$(echo "$size / 1000000" | bc -l)" "$same"
