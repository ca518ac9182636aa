// The one layer normalisation of a row, shared by kernels.c (the fp32 layer norm) and
// gemm_int8.c (layer norm fused with int8 quantization), which must agree bit for bit: the
// fused path quantizes exactly what the fp32 layer norm writes (ReducedPrecisionKernelTests).
#ifndef CLIPKIT_LAYER_NORM_ROW_H
#define CLIPKIT_LAYER_NORM_ROW_H

#include <math.h>
#include <stddef.h>

// Both including files compile their kernels under this pragma (vectorised reductions); it is
// set here too so this function gets the same arithmetic wherever the include comes first.
#pragma clang fp reassociate(on) contract(fast)

/// Normalises `src[width]` into `dst[width]`: (x − mean) / sqrt(var + ε) · γ + β.
static inline __attribute__((always_inline)) void clipkit_layer_norm_row(
    const float *src, size_t width, const float *gamma, const float *beta, float epsilon,
    float *dst) {
    const float n = (float)width;
    float sum = 0;
    for (size_t i = 0; i < width; i++) sum += src[i];
    const float mean = sum / n;
    float squares = 0;
    for (size_t i = 0; i < width; i++) {
        const float d = src[i] - mean;
        squares += d * d;
    }
    const float inverse = 1.0f / sqrtf(squares / n + epsilon);
    for (size_t i = 0; i < width; i++) dst[i] = (src[i] - mean) * inverse * gamma[i] + beta[i];
}

#endif
