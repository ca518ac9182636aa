#!/usr/bin/env bash
# Tests of the JVM package (clipkit-spark.jar) on local[2], self-contained:
#   1. the seed's Scala program (imports changed) in `spark-shell --jars clipkit-spark.jar`, with
#      the tiny model served by the Hub stand-in as clip_vit_large_patch14's repository;
#   2. in the same shell, jvm/tests/checks.scala: defaults/setters, pretrained() forms, binaryFile
#      scores equal to `clipkit classify` (1e-6), bad files inside a batch, format("image") with
#      invalid rows, EXIF, save/load of a fitted PipelineModel, preprocessing setters;
#   3. the Python stages' schemas equal the Scala stages' (jvm/tests/schema_check.py);
#   4. a Java program on the API (jvm/tests/JavaExample.java) through spark-submit.
# Prints PASS/FAIL lines and closes with "N passed, N failed"; exits non-zero on any failure.
#
#   scripts/test-jvm.sh            (CLIPKIT_TEST_PYTHON: a python with pyspark, default .venv-test)
#
# Needs what scripts/build-jar.sh needs, plus the release CLI (built here if missing).
set -uo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
started=$SECONDS
passed=0
failed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
finish() {
    echo "test-jvm: $((SECONDS - started)) s"
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
    exit $?
}

python="${CLIPKIT_TEST_PYTHON:-}"
for candidate in "$python" .venv-test/bin/python /work/main/.venv-test/bin/python; do
    if [ -n "$candidate" ] && "$candidate" -c 'import pyspark, pyarrow' 2>/dev/null; then python="$candidate"; break; fi
done
[ -n "$python" ] || { fail "no python with pyspark (make .venv-test with scripts/bootstrap.sh)"; finish; }
spark_home="$("$python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
export SPARK_HOME="$spark_home" CLIPKIT_PYSPARK_VENV="$(dirname "$(dirname "$python")")"

work="$(mktemp -d)"
hub_pid=""
cleanup() { [ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# Build: the jar and the release CLI (reference scores).
if ! jar="$(scripts/build-jar.sh "$work/dist" 2> "$work/build.log" | tail -1)" || [ ! -f "$jar" ]; then
    tail -30 "$work/build.log"; fail "scripts/build-jar.sh"; finish
fi
pass "scripts/build-jar.sh built $(basename "$jar") ($(du -h "$jar" | cut -f1))"
cli="${CLIPKIT_CLI:-$(swift build -c release --show-bin-path)/clipkit}"
if [ ! -x "$cli" ]; then
    swift build -c release --product clipkit > "$work/cli.log" 2>&1 || { tail -20 "$work/cli.log"; fail "building the CLI"; finish; }
fi

# Inputs: good files with bad ones sorted between them (as python/tests/conftest.py).
fixtures="$repo/Tests/Fixtures"
images="$work/images"
mkdir -p "$images"
cp "$fixtures/cli/images/a.png" "$images/1_a.png"
cp "$fixtures/cli/images/b.png" "$images/2_b.png"
cp "$fixtures/cli/images/corrupt.png" "$images/3_corrupt.png"
cp "$fixtures/cli/images/c.png" "$images/4_c.png"
cp "$fixtures/cli/jpeg/photo.jpg" "$images/5_photo.jpg"
cp "$fixtures/cli/images/notes.txt" "$images/6_notes.txt"
cp "$fixtures/images/decode/jpeg_420.jpg" "$images/7_jpeg_420.jpg"
cp "$fixtures/images/decode/bmp_24.bmp" "$images/8_bmp_24.bmp"
cp "$fixtures/images/decode/exif_6.jpg" "$images/9_exif_6.jpg"
mkdir -p "$work/cwd/src/test/resources" "$work/out"
cp -r "$images" "$work/cwd/src/test/resources/image"

"$cli" classify --model "$fixtures/models/tiny-clip" --format jsonl --label cat --label dog \
    --label 'a photo, with "quotes"' "$images"/* > "$work/cli.jsonl" 2> "$work/cli.err"
[ "$(wc -l < "$work/cli.jsonl")" -eq 9 ] || { cat "$work/cli.err"; fail "clipkit classify gave no scores"; finish; }

# The Hub stand-in, with an empty HF cache.
"$python" jvm/tests/hub_server.py "$work/endpoint" 2> "$work/hub.log" &
hub_pid=$!
for _ in $(seq 50); do [ -s "$work/endpoint" ] && break; sleep 0.2; done
[ -s "$work/endpoint" ] || { cat "$work/hub.log"; fail "the Hub stand-in did not start"; finish; }
export HF_ENDPOINT="$(cat "$work/endpoint")" HF_HOME="$work/hf"
unset HF_HUB_OFFLINE HF_HUB_CACHE
export CLIPKIT_TEST_IMAGES="$images" CLIPKIT_TEST_MODEL="$fixtures/models/tiny-clip" \
    CLIPKIT_TEST_MODELS="$fixtures/models" CLIPKIT_TEST_CLI="$work/cli.jsonl" CLIPKIT_TEST_OUT="$work/out"

# 1 + 2: the seed program, then the checks, in one spark-shell.
cat jvm/tests/seed.scala jvm/tests/checks.scala > "$work/run.scala"
(cd "$work/cwd" && "$spark_home/bin/spark-shell" --master 'local[2]' --jars "$jar" --driver-memory 1g \
    --conf spark.ui.enabled=false --conf spark.ui.showConsoleProgress=false --conf spark.sql.shuffle.partitions=2 -i "$work/run.scala" \
    < /dev/null > "$work/shell.log" 2>&1)
table="$(grep '^|' "$work/shell.log")"
header="$(echo "$table" | head -1 | tr -d ' ')"
names="$(echo "$table" | tail -n +2 | cut -d'|' -f2 | tr -d ' ' | sort | tr '\n' ' ')"
results="$(echo "$table" | tail -n +2 | cut -d'|' -f3 | sed 's/ *$//')"
want="1_a.png 2_b.png 4_c.png 5_photo.jpg 7_jpeg_420.jpg 8_bmp_24.bmp 9_exif_6.jpg "
if [ "$header" = "|image_name|result|" ] && [ "$names" = "$want" ] && ! echo "$results" | grep -qv '^\[a photo of .*\]$' \
    && [ -d "$HF_HOME/hub/models--openai--clip-vit-large-patch14" ]; then
    pass "the seed's Scala program in spark-shell (pretrained(\"clip_vit_large_patch14\", \"en\") through the Hub stand-in)"
    echo "$table" | sed 's/^/    /'
else
    fail "the seed's Scala program: table and Hub download expected; shell log:"
    grep -v '^\s*at \|^26/' "$work/shell.log" | tail -40 | sed 's/^/    /'
fi
grep -E '^(PASS|FAIL) |^    at ' "$work/shell.log"
passed=$((passed + $(grep -c '^PASS ' "$work/shell.log")))
failed=$((failed + $(grep -c '^FAIL ' "$work/shell.log")))
[ "$(grep -c '^PASS \|^FAIL ' "$work/shell.log")" -ge 10 ] || { fail "checks.scala did not run to the end"; grep -i 'error' "$work/shell.log" | head -20; }

# 3: the Python stages' schemas against the Scala stages'.
if [ -s "$work/out/scala-schemas.json" ]; then
    PYTHONPATH="$repo/python" CLIPKIT_LIBRARY="${CLIPKIT_LIBRARY:-$(swift build -c release --show-bin-path)/libCLIPKitC.so}" \
        "$python" jvm/tests/schema_check.py "$images" "$fixtures/models/tiny-clip" "$work/out" > "$work/schema.log" 2>&1
    grep -E '^(PASS|FAIL) ' "$work/schema.log"
    passed=$((passed + $(grep -c '^PASS ' "$work/schema.log")))
    failed=$((failed + $(grep -c '^FAIL ' "$work/schema.log")))
    [ "$(grep -c '^PASS ' "$work/schema.log")" -eq 3 ] || { fail "schema_check.py"; tail -20 "$work/schema.log"; }
else
    fail "schema check: the Scala side wrote no schemas"
fi

# 4: a Java program on the API, through spark-submit.
mkdir -p "$work/java"
if javac --release 17 -d "$work/java" -cp "$spark_home/jars/*:$jar" jvm/tests/JavaExample.java 2> "$work/javac.log" \
    && jar --create --file "$work/example.jar" -C "$work/java" . \
    && "$spark_home/bin/spark-submit" --master 'local[2]' --jars "$jar" --conf spark.ui.enabled=false --conf spark.ui.showConsoleProgress=false \
        --class JavaExample "$work/example.jar" "$images" zero_shot_classifier_clip_vit_base_patch32 \
        > "$work/java.log" 2>&1 && grep -q '^JAVA OK 9 rows' "$work/java.log"; then
    pass "a Java program (pretrained(name, lang), binaryFile, Pipeline) through spark-submit"
else
    fail "the Java program:"; cat "$work/javac.log"; grep -v '^\s*at \|^26/' "$work/java.log" | tail -30
fi
finish
