#!/usr/bin/env bash
# Builds a self-contained wheel of the Python package (python/): libclipkit.so plus the Swift
# runtime libraries it links (and the image/BLAS libraries Debian images often lack), all with
# RPATH $ORIGIN, so Spark executors need no Swift toolchain. Then checks it with ldd from a
# fresh venv whose environment has no Swift on PATH or LD_LIBRARY_PATH.
#
#   scripts/build-wheel.sh [out-dir]      (default dist/)
#
# Needs: swift, patchelf (scripts/bootstrap.sh installs it), python3 with venv.
# The native folder is staged by scripts/stage-native.sh (shared with scripts/build-jar.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-dist}"
python="${PYTHON:-python3}"
swift_lib_dir="$(dirname "$(dirname "$(command -v swift)")")/lib/swift/linux"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
bundled="$(scripts/stage-native.sh "$stage")"   # fails the script if staging fails
extras=()
while read -r name; do
    [ -n "$name" ] && extras+=("$stage/$name")
done <<< "$bundled"

mkdir -p "$out"
CLIPKIT_LIBRARY="$stage/libclipkit.so" CLIPKIT_EXTRA_LIBS="$(IFS=:; echo "${extras[*]}")" \
    "$python" -m pip wheel --no-deps -q -w "$out" ./python
wheel="$(ls -t "$out"/clipkit-*.whl | head -1)"
echo "built $wheel ($(du -h "$wheel" | cut -f1), ${#extras[@]} bundled libraries)"

# The check: install into a clean venv and resolve every dependency without the toolchain.
check="$(mktemp -d)"
trap 'rm -rf "$stage" "$check"' EXIT
"$python" -m venv "$check/venv"
"$check/venv/bin/pip" install -q --no-deps "$wheel"
"$check/venv/bin/pip" install -q "numpy"
installed="$("$check/venv/bin/python" -c 'import clipkit; print(clipkit.library_path())')"
clean_env=(env -i PATH=/usr/bin:/bin HOME="$HOME" LD_LIBRARY_PATH=)
echo "ldd $installed:"
"${clean_env[@]}" ldd "$installed" | sed 's/^/    /'
if "${clean_env[@]}" ldd "$installed" | grep -E "not found|$swift_lib_dir"; then
    echo "build-wheel: FAILED: unresolved or toolchain libraries above" >&2
    exit 1
fi
"${clean_env[@]}" "$check/venv/bin/python" - "$PWD/Tests/Fixtures/models/tiny-clip" "$PWD/Tests/Fixtures/cli/images/a.png" <<'PY'
import sys, clipkit
c = clipkit.Classifier(sys.argv[1], ["cat", "dog"])
r = c.classify([open(sys.argv[2], "rb").read()])
assert r.ok.all(), r.errors
print(f"clean venv: clipkit {clipkit.version()} classified a.png: {dict(zip(c.labels, r.values[0].round(4)))}")
PY
echo "build-wheel: OK: no Swift toolchain needed"
