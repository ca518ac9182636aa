#!/usr/bin/env bash
# A Spark standalone cluster on loopback (a master and two 1-core workers started with spark-class,
# in an environment with no Swift on PATH or LD_LIBRARY_PATH) running:
#   - the JVM package: the seed's Scala program in `spark-shell --jars clipkit-spark.jar`
#     (scripts/build-jar.sh), then jvm/tests/cluster_checks.scala (binaryFile = CLI, executors'
#     Swift runtime comes from the jar);
#   - the Python wheel (scripts/build-wheel.sh) in a venv holding only PySpark, its Arrow/pandas
#     needs and the wheel: jvm/tests/cluster_job.py (the issue's program, binaryFile = CLI).
# The tiny model comes from the Hub stand-in (executors get HF_ENDPOINT/HF_HOME via
# spark.executorEnv). Prints PASS/FAIL lines and "N passed, N failed"; exits non-zero on failure.
#
#   scripts/test-spark-cluster.sh
#     CLIPKIT_CLUSTER_VENV=<venv>  reuse a venv with pyspark, pyarrow, pandas, numpy (else one is
#                                  made with pip: a few minutes); the wheel is (re)installed into it
#     CLIPKIT_TEST_PYTHON          python with pyspark for SPARK_HOME (default .venv-test)
set -uo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
started=$SECONDS
passed=0
failed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
finish() {
    echo "test-spark-cluster: $((SECONDS - started)) s"
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
    exit $?
}

python="${CLIPKIT_TEST_PYTHON:-}"
for candidate in "$python" .venv-test/bin/python /work/main/.venv-test/bin/python; do
    if [ -n "$candidate" ] && "$candidate" -c 'import pyspark, pyarrow' 2>/dev/null; then python="$candidate"; break; fi
done
[ -n "$python" ] || { fail "no python with pyspark"; finish; }
spark_home="$("$python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
export SPARK_HOME="$spark_home" CLIPKIT_PYSPARK_VENV="$(dirname "$(dirname "$python")")"
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# Build the jar and the wheel.
jar="$(scripts/build-jar.sh "$work/dist" 2> "$work/build-jar.log" | tail -1)"
[ -f "$jar" ] && pass "scripts/build-jar.sh" || { tail -20 "$work/build-jar.log"; fail "scripts/build-jar.sh"; finish; }
if scripts/build-wheel.sh "$work/dist" > "$work/build-wheel.log" 2>&1; then
    pass "scripts/build-wheel.sh (its own clean-venv check included)"
else
    tail -20 "$work/build-wheel.log"; fail "scripts/build-wheel.sh"; finish
fi
wheel="$(ls "$work"/dist/clipkit-*.whl)"
venv="${CLIPKIT_CLUSTER_VENV:-$work/env}"
if [ ! -x "$venv/bin/python" ]; then
    versions="$("$python" -c 'import importlib.metadata as m; print(" ".join(f"{p}=={m.version(p)}" for p in ("pyspark", "pyarrow", "pandas", "numpy")))')"
    echo "making the executors' venv ($versions)"
    python3 -m venv "$venv" && "$venv/bin/pip" install -q $versions > "$work/venv.log" 2>&1 \
        || { tail -20 "$work/venv.log"; fail "making the executors' venv"; finish; }
fi
"$venv/bin/pip" install -q --no-deps --force-reinstall "$wheel" > "$work/venv.log" 2>&1 \
    || { tail -20 "$work/venv.log"; fail "installing the wheel"; finish; }
cli="${CLIPKIT_CLI:-$(swift build -c release --show-bin-path)/clipkit}"
[ -x "$cli" ] || swift build -c release --product clipkit > "$work/cli.log" 2>&1 || { fail "building the CLI"; finish; }

# Inputs (as scripts/test-jvm.sh), CLI scores, the Hub stand-in.
fixtures="$repo/Tests/Fixtures"
images="$work/cwd/images"
mkdir -p "$images" "$work/cwd/src/test/resources"
cp "$fixtures/cli/images/a.png" "$images/1_a.png"
cp "$fixtures/cli/images/b.png" "$images/2_b.png"
cp "$fixtures/cli/images/corrupt.png" "$images/3_corrupt.png"
cp "$fixtures/cli/images/c.png" "$images/4_c.png"
cp "$fixtures/cli/jpeg/photo.jpg" "$images/5_photo.jpg"
cp "$fixtures/cli/images/notes.txt" "$images/6_notes.txt"
cp "$fixtures/images/decode/jpeg_420.jpg" "$images/7_jpeg_420.jpg"
cp "$fixtures/images/decode/bmp_24.bmp" "$images/8_bmp_24.bmp"
cp "$fixtures/images/decode/exif_6.jpg" "$images/9_exif_6.jpg"
cp -r "$images" "$work/cwd/src/test/resources/image"
"$cli" classify --model "$fixtures/models/tiny-clip" --format jsonl --label cat --label dog \
    --label 'a photo, with "quotes"' "$images"/* > "$work/cli.jsonl" 2> /dev/null
"$python" jvm/tests/hub_server.py "$work/endpoint" 2> "$work/hub.log" &
pids+=($!)
for _ in $(seq 50); do [ -s "$work/endpoint" ] && break; sleep 0.2; done
endpoint="$(cat "$work/endpoint")"

# The cluster, in an environment without Swift.
clean=(env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$HOME" JAVA_HOME="$java_home" SPARK_HOME="$spark_home"
    SPARK_LOCAL_IP=127.0.0.1 SPARK_LOG_DIR="$work/logs" SPARK_WORKER_DIR="$work/workers" LANG=C.UTF-8)
port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
master="spark://127.0.0.1:$port"
"${clean[@]}" "$spark_home/bin/spark-class" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" \
    --webui-port 0 > "$work/master.log" 2>&1 &
pids+=($!)
for i in 1 2; do
    "${clean[@]}" "$spark_home/bin/spark-class" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores 1 \
        --memory 1g --webui-port 0 --work-dir "$work/workers/$i" "$master" > "$work/worker$i.log" 2>&1 &
    pids+=($!)
done
for _ in $(seq 120); do [ "$(grep -c 'Registering worker' "$work/master.log")" -ge 2 ] && break; sleep 0.5; done
if [ "$(grep -c 'Registering worker' "$work/master.log")" -ge 2 ]; then
    pass "standalone cluster: master $master with two 1-core workers"
else
    tail -20 "$work/master.log" "$work/worker1.log"; fail "the cluster did not come up"; finish
fi
hub_env=(HF_ENDPOINT="$endpoint" HF_HOME="$work/hf-driver")
executor_conf=(--conf spark.executorEnv.HF_ENDPOINT="$endpoint" --conf spark.executorEnv.HF_HOME="$work/hf-executors"
    --conf spark.ui.enabled=false --conf spark.ui.showConsoleProgress=false --conf spark.executor.memory=1g)
test_env=(CLIPKIT_TEST_IMAGES="$images" CLIPKIT_TEST_CLI="$work/cli.jsonl")

# The JVM package.
cat jvm/tests/seed.scala jvm/tests/cluster_checks.scala > "$work/run.scala"
(cd "$work/cwd" && "${clean[@]}" "${hub_env[@]}" "${test_env[@]}" "$spark_home/bin/spark-shell" --master "$master" \
    --jars "$jar" "${executor_conf[@]}" -i "$work/run.scala" < /dev/null > "$work/shell.log" 2>&1)
table="$(grep '^|' "$work/shell.log")"
if [ "$(echo "$table" | head -1 | tr -d ' ')" = "|image_name|result|" ] && [ "$(echo "$table" | wc -l)" -eq 8 ]; then
    pass "cluster (jar): the seed's Scala program"
    echo "$table" | sed 's/^/    /'
else
    fail "cluster (jar): the seed's Scala program"; grep -v '^\s*at ' "$work/shell.log" | tail -30
fi
grep -E '^(PASS|FAIL) |^    [A-Za-z]' "$work/shell.log" | grep -v '^    at '
passed=$((passed + $(grep -c '^PASS ' "$work/shell.log")))
failed=$((failed + $(grep -c '^FAIL ' "$work/shell.log")))
[ "$(grep -c '^PASS \|^FAIL ' "$work/shell.log")" -eq 2 ] || fail "cluster_checks.scala did not run to the end"

# The Python wheel.
(cd "$work/cwd" && "${clean[@]}" "${hub_env[@]}" PYSPARK_PYTHON="$venv/bin/python" PYSPARK_DRIVER_PYTHON="$venv/bin/python" \
    "$venv/bin/spark-submit" --master "$master" "${executor_conf[@]}" --conf spark.pyspark.python="$venv/bin/python" \
    "$repo/jvm/tests/cluster_job.py" "$work/cwd" "$work/cli.jsonl" "$fixtures/models/tiny-clip" > "$work/python.log" 2>&1)
grep -E '^(PASS|FAIL) |^    [A-Za-z]|^\|' "$work/python.log"
passed=$((passed + $(grep -c '^PASS ' "$work/python.log")))
failed=$((failed + $(grep -c '^FAIL ' "$work/python.log")))
[ "$(grep -c '^PASS \|^FAIL ' "$work/python.log")" -eq 3 ] || { fail "cluster_job.py did not run to the end"; tail -30 "$work/python.log"; }
finish
