#!/usr/bin/env bash
# Builds the self-contained JVM package of clipkit: clipkit-spark.jar (package clipkit.spark:
# the Spark ML stages ImageAssembler and CLIPForZeroShotClassification, Scala 2.13, Spark 4) with
# libclipkit, its JNI glue (jvm/native/clipkit_jni.c) and every library they need inside, so
# `--jars clipkit-spark.jar` is all a Spark cluster needs (no Swift on any node).
#
#   scripts/build-jar.sh [out-dir]     (default dist/); prints the jar's path on its last line
#
# Needs: swift, patchelf, a C compiler, JDK 17 (javac, jar, jni.h: openjdk-17-jdk-headless) and
# Spark's jars with the Scala 2.13 compiler: $SPARK_HOME/jars, else PySpark's from the test venv
# (.venv-test, or $CLIPKIT_PYSPARK_VENV). No Maven registry is used.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mkdir -p "${1:-dist}" && cd "${1:-dist}" && pwd)"

find_spark_home() {
    if [ -n "${SPARK_HOME:-}" ] && [ -d "$SPARK_HOME/jars" ]; then echo "$SPARK_HOME"; return; fi
    local venv
    for venv in "${CLIPKIT_PYSPARK_VENV:-}" .venv-test /work/main/.venv-test; do
        [ -n "$venv" ] && [ -x "$venv/bin/python" ] || continue
        local home
        home="$("$venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))' 2>/dev/null)" || continue
        [ -d "$home/jars" ] && { echo "$home"; return; }
    done
    echo "build-jar: no Spark jars: set SPARK_HOME or make .venv-test (scripts/bootstrap.sh)" >&2
    exit 1
}
spark_home="$(find_spark_home)"
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
[ -f "$java_home/include/jni.h" ] || { echo "build-jar: no jni.h under $java_home (apt-get install openjdk-17-jdk-headless)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
native="$work/classes/clipkit/native/linux-x86_64"
mkdir -p "$native" "$work/classes"

# 1. libclipkit and its libraries, RUNPATH $ORIGIN (shared with the wheel).
bundled="$(scripts/stage-native.sh "$native")"

# 2. The JNI glue, linked against that libclipkit.so and finding it next to itself.
${CC:-cc} -std=c11 -O2 -fPIC -shared -Wall -Wextra -Werror \
    -I"$java_home/include" -I"$java_home/include/linux" -ISources/CLIPKitABI/include \
    jvm/native/clipkit_jni.c -o "$native/libclipkit_jni.so" \
    -L"$native" -lclipkit -Wl,-rpath-link,"$native" -Wl,-rpath,'$ORIGIN' -Wl,-z,defs
{ echo "libclipkit.so"; echo "$bundled"; echo "libclipkit_jni.so"; } | sed '/^$/d' > "$native/files.txt"

# 3. Java (the native binding) then Scala (the stages), against Spark's own jars.
classpath="$(ls "$spark_home"/jars/*.jar | tr '\n' ':')"
"$java_home/bin/javac" --release 17 -Xlint:all,-path -Werror -d "$work/classes" -cp "$classpath" \
    $(find jvm/src/main/java -name '*.java')
scala_compiler="$(ls "$spark_home"/jars/scala-{compiler,library,reflect}-2.13*.jar | tr '\n' ':')"
"$java_home/bin/java" -cp "$scala_compiler" scala.tools.nsc.Main -release 17 -deprecation -feature -Werror \
    -classpath "$classpath$work/classes" -d "$work/classes" $(find jvm/src/main/scala -name '*.scala')

# 4. The jar.
jar="$out/clipkit-spark.jar"
version="$(sed -n 's/.*versionString: StaticString = "\(.*\)".*/\1/p' Sources/CLIPKitC/Exports.swift | head -1)"
printf 'Implementation-Title: clipkit-spark\nImplementation-Version: %s\n' "${version:-0}" > "$work/manifest.txt"
rm -f "$jar"
"$java_home/bin/jar" --create --file "$jar" --manifest "$work/manifest.txt" -C "$work/classes" .
echo "build-jar: $(du -h "$jar" | cut -f1), $(wc -l < "$native/files.txt") native libraries, Spark jars from $spark_home" >&2
echo "$jar"
