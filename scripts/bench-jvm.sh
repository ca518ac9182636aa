#!/usr/bin/env bash
# Throughput of the JVM package (clipkit-spark.jar) per core against `clipkit classify` on the same
# images: a random-weight ViT-B/32 (`clipkit-bench write-model`, the real model's cost), N JPEGs of
# 500×375, 9 labels, one batch size; Spark on local[C] (steady run: the second), the CLI with
# --threads C (steady rate: all images minus one image, so model loading counts for neither side).
#
#   scripts/bench-jvm.sh [images=64] [cores=2] [batch-size=16]
#
# Only ratios measured in one run on one otherwise idle machine mean anything.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-64}" cores="${2:-2}" batch="${3:-16}"
python="${CLIPKIT_TEST_PYTHON:-}"
for candidate in "$python" .venv-test/bin/python /work/main/.venv-test/bin/python; do
    if [ -n "$candidate" ] && "$candidate" -c 'import pyspark' 2>/dev/null; then python="$candidate"; break; fi
done
spark_home="$("$python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
export SPARK_HOME="$spark_home" CLIPKIT_PYSPARK_VENV="$(dirname "$(dirname "$python")")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

jar="$(scripts/build-jar.sh "$work/dist" 2> "$work/build.log" | tail -1)" || { cat "$work/build.log"; exit 1; }
swift build -c release --product clipkit > "$work/build.log" 2>&1 && swift build -c release --product clipkit-bench >> "$work/build.log" 2>&1 \
    || { tail -20 "$work/build.log"; exit 1; }
bin="$(swift build -c release --show-bin-path)"
"$bin/clipkit-bench" write-model --preset b32 --out "$work/vit-b32" \
    --tokenizer-from Tests/Fixtures/models/tiny-clip --prompts 1 > /dev/null
java jvm/benchmarks/WriteImages.java "$work/images" "$count"
labels=(--label "a photo of a bird" --label "a photo of a cat" --label "a photo of a dog" --label "a photo of a hen"
    --label "a photo of a hippo" --label "a photo of a room" --label "a photo of a tractor"
    --label "a photo of an ostrich" --label "a photo of an ox")
cli=("$bin/clipkit" classify --model "$work/vit-b32" --format jsonl --batch-size "$batch" --threads "$cores" "${labels[@]}")
calc() { awk "BEGIN { print $1 }"; }
timed() { local s e; s=$(date +%s.%N); "${cli[@]}" "$@" > /dev/null 2>&1; e=$(date +%s.%N); calc "$e - $s"; }
one_a="$(timed "$work/images/img_0000.jpg")"; one_b="$(timed "$work/images/img_0000.jpg")"
one="$(calc "($one_a < $one_b) ? $one_a : $one_b")"
all="$(timed "$work/images"/*.jpg)"
cli_rate="$(calc "($count - 1) / ($all - $one)")"

CLIPKIT_BENCH_IMAGES="$work/images" CLIPKIT_BENCH_CORES="$cores" CLIPKIT_BENCH_BATCH="$batch" \
CLIPKIT_BENCH_MODEL="$work/vit-b32" "$spark_home/bin/spark-shell" --master "local[$cores]" --jars "$jar" \
    --driver-memory 2g --conf spark.ui.enabled=false --conf spark.ui.showConsoleProgress=false \
    -i jvm/benchmarks/throughput.scala < /dev/null > "$work/shell.log" 2>&1 || true
grep -q '^SPARK binaryFile' "$work/shell.log" || { tail -30 "$work/shell.log"; exit 1; }

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) logical cores); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$count JPEGs 500x375, random-weight ViT-B/32, 9 labels, batch size $batch, $cores cores"
printf 'clipkit classify:               %6.2f images/s = %5.2f per core (%.1f s for all, %.1f s for one image)\n' \
    "$cli_rate" "$(calc "$cli_rate / $cores")" "$all" "$one"
while read -r _ source steady first; do
    rate="$(calc "$count / $steady")"
    printf 'Spark (Scala) %-10s local[%d]: %6.2f rows/s   = %5.2f per core (steady %.1f s, first %.1f s) -> %.2fx the CLI\n' \
        "$source" "$cores" "$rate" "$(calc "$rate / $cores")" "$steady" "$first" "$(calc "$rate / $cli_rate")"
done < <(grep '^SPARK ' "$work/shell.log")
