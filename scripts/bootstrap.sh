#!/usr/bin/env bash
# Installs what clipkit needs on a fresh Debian 12 machine (idempotent).
# Swift itself is expected on PATH (https://swift.org/install); everything else comes from apt.
set -euo pipefail
packages=(pkg-config libopenblas-dev libjpeg62-turbo-dev libpng-dev libwebp-dev
    openjdk-17-jre-headless python3-venv patchelf)  # Java, venv, patchelf: the Python/Spark tests and wheel
packages+=(openjdk-17-jdk-headless)  # javac, jar and jni.h: the JVM package (scripts/build-jar.sh)
# SIMDe's portable intrinsics: the kernel tests on emulated AVX-512 (scripts/test-emulated-isa.sh).
packages+=(libsimde-dev)
# The browser test of `clipkit serve`'s web page (scripts/browser-test.sh).
packages+=(chromium curl)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "bootstrap: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "bootstrap: swift is not on PATH (Swift 6 toolchain required)" >&2; exit 1; }

# The Python/Spark test environment: .venv-test with python/requirements-test.txt, rebuilt when
# that file changes. CLIPKIT_SKIP_PYTHON=1 skips it.
if [ "${CLIPKIT_SKIP_PYTHON:-0}" != 1 ]; then
    venv=.venv-test
    requirements=python/requirements-test.txt
    stamp="$venv/.requirements.sha256"
    want="$(sha256sum "$requirements" | cut -d' ' -f1)"
    if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        echo "bootstrap: creating $venv ($requirements)" >&2
        python3 -m venv "$venv"
        "$venv/bin/python" -m pip install -q --upgrade pip
        "$venv/bin/python" -m pip install -q -r "$requirements"
        echo "$want" > "$stamp"
    fi
fi
