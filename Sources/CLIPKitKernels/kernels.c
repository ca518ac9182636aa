// Element-wise and row-wise kernels of the CLIP transformer (see CLIPKitKernels.h).
//
// Why C: Swift code in this package is compiled for baseline x86-64 (SSE2, no FMA), and
// `expf` is a scalar libm call the Swift optimiser cannot vectorise. Each body below is a plain
// loop written once (`static inline` + always_inline), instantiated twice: for AVX2+FMA
// (`target("avx2,fma")`) and for the baseline; the public function picks one at run time, so
// the binary still runs on any x86-64. Reassociation (which lets clang vectorise the
// reductions) is enabled by a pragma below, at SwiftPM's release -O2.
//
// Measured (callgrind, one ViT-B/32 layer, 2 images × 2 passes, docs/performance.md): the plain
// Swift loops took 28 M instructions for quick_gelu (20 M of them in libm expf) and 4 M for the
// layer norms; these kernels take 2.4 M and 0.8 M.
#include "CLIPKitKernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

// Reassociation and FMA contraction for every function in this file, so clang vectorises the
// reductions. A pragma rather than -ffast-math on the command line: SwiftPM refuses
// `unsafeFlags` in a package used as a dependency.
#pragma clang fp reassociate(on) contract(fast)

#define INLINE static inline __attribute__((always_inline))

int clipkit_kernels_version(void) { return 2; }

// MARK: - exp

// exp(x) for float, vectorisable: x = n·ln2 + r with |r| ≤ ln2/2, exp(r) by a degree-6
// polynomial (the classic Cephes expf coefficients), 2^n built in the exponent bits.
// Relative error ≤ 2 ulp on [-87, 88]; inputs outside are clamped (exp(-87) ≈ 1.6e-38).
INLINE float fast_expf(float x) {
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

// MARK: - bodies

INLINE void layer_norm_body(const float *x, size_t rows, size_t width, const float *gamma,
                            const float *beta, float epsilon, float *out) {
    const float n = (float)width;
    for (size_t r = 0; r < rows; r++) {
        const float *src = x + r * width;
        float *dst = out + r * width;
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
}

INLINE void bias_quick_gelu_body(float *x, size_t rows, size_t columns, const float *bias) {
    for (size_t r = 0; r < rows; r++) {
        float *row = x + r * columns;
        if (bias) {
            for (size_t c = 0; c < columns; c++) {
                const float v = row[c] + bias[c];
                row[c] = v / (1.0f + fast_expf(-1.702f * v));
            }
        } else {
            for (size_t c = 0; c < columns; c++) {
                const float v = row[c];
                row[c] = v / (1.0f + fast_expf(-1.702f * v));
            }
        }
    }
}

INLINE void add_bias_body(float *x, size_t rows, size_t columns, const float *bias) {
    for (size_t r = 0; r < rows; r++) {
        float *row = x + r * columns;
        for (size_t c = 0; c < columns; c++) row[c] += bias[c];
    }
}

// Keys are first transposed into `kt` [head_size, padded] so that each query's scores are a
// sum of contiguous rows scaled by one query element (vectorised over keys, no horizontal
// sums); the context row is then a sum of value rows scaled by the probabilities (vectorised
// over the head's columns). Key columns are padded with zeros to a multiple of 8 so the score
// loops run whole AVX vectors: with 50 keys (ViT-B/32) the unpadded loop left 18 keys to scalar
// remainder code and ran at 1.5 flop per instruction (callgrind).
#define PAD8(n) (((n) + 7) & ~(size_t)7)

INLINE void attention_head_body(const float *q, const float *k, const float *v, size_t stride,
                                size_t length, size_t head_size, float scale, int causal,
                                float *scratch, float *out, size_t out_stride) {
    const size_t padded = PAD8(length);
    float *kt = scratch;                             // [head_size, padded]
    float *scores = scratch + head_size * padded;    // [4, padded]
    for (size_t d = 0; d < head_size; d++) {
        for (size_t j = 0; j < length; j++) kt[d * padded + j] = k[j * stride + d];
        for (size_t j = length; j < padded; j++) kt[d * padded + j] = 0;
    }

    for (size_t i0 = 0; i0 < length; i0 += 4) {
        const size_t block = length - i0 < 4 ? length - i0 : 4;
        // Keys any query of the block may see, rounded up to whole vectors.
        const size_t span = causal ? PAD8(i0 + block) : padded;
        for (size_t b = 0; b < block; b++) {
            float *s = scores + b * padded;
            const float *qi = q + (i0 + b) * stride;
            for (size_t j = 0; j < span; j++) s[j] = 0;
            for (size_t d = 0; d < head_size; d++) {
                const float qd = qi[d] * scale;
                const float *kd = kt + d * padded;
#pragma clang loop vectorize_width(8) interleave_count(1)
                for (size_t j = 0; j < span; j++) s[j] += qd * kd[j];
            }
            const size_t seen = causal ? i0 + b + 1 : length;
            float maximum = s[0];
            for (size_t j = 1; j < seen; j++) maximum = s[j] > maximum ? s[j] : maximum;
            float sum = 0;
            for (size_t j = 0; j < seen; j++) {
                const float e = fast_expf(s[j] - maximum);
                s[j] = e;
                sum += e;
            }
            const float inverse = 1.0f / sum;
            for (size_t j = 0; j < seen; j++) s[j] *= inverse;
        }
        for (size_t b = 0; b < block; b++) {
            float *o = out + (i0 + b) * out_stride;
            const float *s = scores + b * padded;
            const size_t seen = causal ? i0 + b + 1 : length;
            for (size_t d = 0; d < head_size; d++) o[d] = 0;
            for (size_t j = 0; j < seen; j++) {
                const float p = s[j];
                const float *vj = v + j * stride;
                for (size_t d = 0; d < head_size; d++) o[d] += p * vj[d];
            }
        }
    }
}

size_t clipkit_attention_scratch_count(size_t length, size_t head_size) {
    return (head_size + 4) * PAD8(length);
}

// MARK: - dispatch

#if defined(__x86_64__)
#define AVX2 __attribute__((target("avx2,fma")))
static int has_avx2(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cached;
}
#define DISPATCH(name, params, args)                           \
    AVX2 static void name##_avx2 params { name##_body args; } \
    static void name##_base params { name##_body args; }      \
    void clipkit_##name params {                               \
        if (has_avx2()) name##_avx2 args;                      \
        else name##_base args;                                 \
    }
#else
#define DISPATCH(name, params, args) \
    void clipkit_##name params { name##_body args; }
#endif

DISPATCH(layer_norm,
         (const float *x, size_t rows, size_t width, const float *gamma, const float *beta,
          float epsilon, float *out),
         (x, rows, width, gamma, beta, epsilon, out))
DISPATCH(bias_quick_gelu, (float *x, size_t rows, size_t columns, const float *bias),
         (x, rows, columns, bias))
DISPATCH(add_bias, (float *x, size_t rows, size_t columns, const float *bias),
         (x, rows, columns, bias))
DISPATCH(attention_head,
         (const float *q, const float *k, const float *v, size_t stride, size_t length,
          size_t head_size, float scale, int causal, float *scratch, float *out,
          size_t out_stride),
         (q, k, v, stride, length, head_size, scale, causal, scratch, out, out_stride))
