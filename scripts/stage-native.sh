#!/usr/bin/env bash
# Builds libclipkit (the CLIPKitC product, release) and copies it, with the shared libraries it
# needs, into one folder: every file from the Swift toolchain's runtime and the system libraries
# Debian images often lack (OpenBLAS with libgfortran/libquadmath, libjpeg, libpng, libwebp),
# each with RUNPATH $ORIGIN, so the folder works on a machine without Swift. Used by
# scripts/build-wheel.sh (Python wheel) and scripts/build-jar.sh (JVM jar).
#
#   scripts/stage-native.sh <dir>     prints the bundled dependencies' file names, one a line
#
# Needs: swift on PATH, patchelf.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:?usage: scripts/stage-native.sh <dir>}"
swift_lib_dir="$(dirname "$(dirname "$(command -v swift)")")/lib/swift/linux"

swift build -c release --product CLIPKitC >&2
lib="$(swift build -c release --show-bin-path)/libCLIPKitC.so"
mkdir -p "$dir"
cp "$lib" "$dir/libclipkit.so"

# Dependencies to carry: everything from the Swift toolchain, and these system libraries.
carry_system='libopenblas|libgfortran|libquadmath|libjpeg|libpng16|libwebp'
names=()
while read -r name path; do
    [ -n "$path" ] || continue
    if [[ "$path" == "$swift_lib_dir"/* ]] || [[ "$name" =~ ^($carry_system) ]]; then
        cp -L "$path" "$dir/$name"
        names+=("$name")
    fi
done < <(ldd "$dir/libclipkit.so" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }')

for f in "$dir/libclipkit.so" "${names[@]/#/$dir/}"; do
    chmod u+w "$f"
    patchelf --set-rpath '$ORIGIN' "$f"
done
printf '%s\n' "${names[@]}"
