// Shared by gemm_int8.c and gemm_bf16.c: the fused epilogue and the run-time CPU checks.
// Everything here is `static inline` + always_inline, so each kernel variant gets its own copy
// compiled for its `target` (the epilogue loops vectorise to that variant's width).
#ifndef CLIPKIT_REDUCED_PRECISION_INTERNAL_H
#define CLIPKIT_REDUCED_PRECISION_INTERNAL_H
#include "CLIPKitReducedPrecision.h"
#include "fast_exp.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define RP_INLINE static inline __attribute__((always_inline))
#define RP_NOINLINE __attribute__((noinline))

/// Columns per register tile: two 16-column panels.
#define RP_TILE_N 32

RP_INLINE size_t rp_round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

/// Index of output `row`, outlier column `j` (of `count`) in packed outlier weights
/// (clipkit_pack_outlier_columns): 32-row panels, one 32-float run per column.
RP_INLINE size_t rp_outlier_index(size_t row, size_t j, size_t count) {
    return (row / RP_TILE_N) * count * RP_TILE_N + j * RP_TILE_N + row % RP_TILE_N;
}

/// Bias, activation and store (or add) of one row segment of `count` ≤ 32 values in `v`.
RP_INLINE void rp_finish_row(float *v, size_t count, const float *bias, int activation,
                             int accumulate, float *out) {
    if (bias)
        for (size_t j = 0; j < count; j++) v[j] += bias[j];
    if (activation == CLIPKIT_ACTIVATION_QUICK_GELU) {
        for (size_t j = 0; j < count; j++) v[j] = v[j] / (1.0f + clipkit_fast_expf(-1.702f * v[j]));
    } else if (activation == CLIPKIT_ACTIVATION_GELU) {
        for (size_t j = 0; j < count; j++) v[j] = 0.5f * v[j] * (1.0f + erff(v[j] * 0.70710678118654752f));
    } else if (activation == CLIPKIT_ACTIVATION_GELU_TANH) {
        for (size_t j = 0; j < count; j++) v[j] = clipkit_gelu_tanh(v[j]);
    }
    if (accumulate)
        for (size_t j = 0; j < count; j++) out[j] += v[j];
    else
        for (size_t j = 0; j < count; j++) out[j] = v[j];
}

#if defined(__x86_64__)
#define RP_AVX2 __attribute__((target("avx2,fma")))
#define RP_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma")))
#define RP_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma")))
#define RP_AVX512BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16,avx2,fma")))
#endif

/// Makes `acc[0...3]` opaque to the optimiser, so the register-peak probes' multiply-add chains
/// are not folded: kept in registers of class `reg` ("+v": zmm, "+x": ymm), or in memory where
/// the intrinsics are emulated (a test build, see Tests/EmulatedISA).
#if defined(CLIPKIT_EMULATED_ISA)
#define RP_OPAQUE4(reg, acc) __asm__ volatile("" : "+m"(acc[0]), "+m"(acc[1]), "+m"(acc[2]), "+m"(acc[3]))
#else
#define RP_OPAQUE4(reg, acc) __asm__ volatile("" : reg(acc[0]), reg(acc[1]), reg(acc[2]), reg(acc[3]))
#endif

/// CPU features (x86-64; all zero elsewhere) and the CLIPKIT_KERNEL cap, read once.
typedef struct {
    int avx2, avx512, vnni, bf16;
} rp_features;
rp_features rp_cpu_features(void);

#endif
