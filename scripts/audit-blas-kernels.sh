#!/usr/bin/env bash
# Developer audit, not part of CI: reruns the whole Swift suite and the binding's tests with fp32
# layers on OpenBLAS under every OpenBLAS kernel this CPU can run, to check that no tolerance
# depends on which kernel the system BLAS picks.
#
# CI never sets OPENBLAS_CORETYPE (the project's rule: some machines set it on purpose, because
# Debian's OpenBLAS 0.3.21 misbehaves on CPUs newer than it when left to guess, so a test must hold
# under whatever the environment chose). The suite instead states one run-to-run bound
# (docs/deviations.md, "Batch and label order") and checks every row offset within the products
# on the kernel it has. This script is how a developer proves that bound on the other kernels.
#
# Usage: scripts/audit-blas-kernels.sh   (the whole `swift test` and pytest's native and worker
# tests per kernel: about 3 minutes each on 2 cores)
# Needs a debug build (swift build --build-tests) and .venv-test (scripts/bootstrap.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

has() { grep -qw "$1" /proc/cpuinfo; }
kernels=(unset)
has avx2 && has fma && kernels+=(Haswell)
has avx512f && has avx512bw && has avx512vl && has avx512dq && kernels+=(SkylakeX)
has avx512f && has avx512_bf16 && kernels+=(Cooperlake)

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "environment OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)}"

results=()
for kernel in "${kernels[@]}"; do
    # CLIPKIT_FP32_GEMM=blas: fp32 layers on OpenBLAS, whichever kernel `auto` would prefer.
    run() {
        if [ "$kernel" = unset ]; then env -u OPENBLAS_CORETYPE CLIPKIT_FP32_GEMM=blas "$@"
        else env OPENBLAS_CORETYPE=$kernel CLIPKIT_FP32_GEMM=blas "$@"; fi
    }
    swift_status=0 py_status=0
    run swift test --skip-build --no-parallel >"/tmp/audit-swift-$kernel.log" 2>&1 || swift_status=$?
    run env CLIPKIT_LIBRARY="$PWD/.build/debug/libCLIPKitC.so" CLIPKIT_CLI="$PWD/.build/debug/clipkit" \
        PYTHONPATH="$PWD/python" .venv-test/bin/python -m pytest -q python/tests/test_native.py \
        python/tests/test_worker.py >"/tmp/audit-pytest-$kernel.log" 2>&1 || py_status=$?
    core=$(run .venv-test/bin/python -c "import ctypes, ctypes.util
lib = ctypes.CDLL(ctypes.util.find_library('openblas'))
lib.openblas_get_corename.restype = ctypes.c_char_p
print(lib.openblas_get_corename().decode())" 2>/dev/null || echo '?')
    results+=("$(printf '%-12s core %-12s swift %s  pytest %s' "$kernel" "$core" \
        "$([ $swift_status = 0 ] && echo pass || echo "FAIL (/tmp/audit-swift-$kernel.log)")" \
        "$([ $py_status = 0 ] && echo pass || echo "FAIL (/tmp/audit-pytest-$kernel.log)")")")
done
printf '%s\n' "${results[@]}"
! printf '%s\n' "${results[@]}" | grep -q FAIL
