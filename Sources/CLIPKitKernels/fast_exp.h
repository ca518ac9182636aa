// The one fast exp of the C kernels (kernels.c and the reduced-precision GEMM epilogues share
// it, so fp32 and int8/bf16 apply quick_gelu and softmax with the same arithmetic).
#ifndef CLIPKIT_FAST_EXP_H
#define CLIPKIT_FAST_EXP_H

#include <math.h>
#include <stdint.h>
#include <string.h>

// exp(x) for float, vectorisable: x = n·ln2 + r with |r| ≤ ln2/2, exp(r) by a degree-6
// polynomial (the classic Cephes expf coefficients), 2^n built in the exponent bits.
// Relative error ≤ 2 ulp on [-87, 88]; inputs outside are clamped (exp(-87) ≈ 1.6e-38).
static inline __attribute__((always_inline)) float clipkit_fast_expf(float x) {
    x = fminf(fmaxf(x, -87.0f), 88.0f);
    float n = floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693359375f;  // ln2, split in two for an exact first product
    r = r + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

// PyTorch's `gelu(x, approximate="tanh")`, 0.5 x (1 + tanh(u)) with u = √(2/π) (x + 0.044715 x³),
// computed as x · sigmoid(2u) = x / (1 + exp(−2u)): the same function (0.5 (1 + tanh u) is
// sigmoid(2u)), built on the fast exp above so it vectorises. libm's tanhf is a scalar call: it
// took a third to a half of the SigLIP B/16 image tower's time (perf, docs/performance.md).
// Relative error a few ulp; at the clamps of the exp the result is x or a value below 1e-36 |x|.
static inline __attribute__((always_inline)) float clipkit_gelu_tanh(float x) {
    const float inner = 0.7978845608028654f * (x + 0.044715f * (x * x * x));
    return x / (1.0f + clipkit_fast_expf(-2.0f * inner));
}

#endif
