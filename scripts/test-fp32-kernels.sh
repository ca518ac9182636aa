#!/usr/bin/env bash
# The fp32 packed-kernel checks of issue 18, self-contained (for scripts/test.sh to call):
# every fp32 kernel variant the CPU has against a double reference and for batch invariance,
# and model parity with transformers through both fp32 paths (packed kernels and BLAS) and
# under the kernel caps. Never sets OPENBLAS_CORETYPE: OpenBLAS picks its kernel at run time.
set -euo pipefail
cd "$(dirname "$0")/.."

filter="FP32KernelTests|ModelParityTests|PrecisionModelTests|ZeroShotClassifierTests"
swift build --build-tests
for path in packed blas; do
    echo "== CLIPKIT_FP32_GEMM=$path"
    CLIPKIT_FP32_GEMM=$path swift test --skip-build --filter "$filter"
done
for cap in avx2 scalar; do
    echo "== CLIPKIT_KERNEL=$cap, CLIPKIT_FP32_GEMM=packed"
    CLIPKIT_KERNEL=$cap CLIPKIT_FP32_GEMM=packed swift test --skip-build --filter "$filter"
done
