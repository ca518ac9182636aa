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
#include "fast_exp.h"
#include "layer_norm_row.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

// Reassociation and FMA contraction for every function in this file, so clang vectorises the
// reductions. A pragma rather than -ffast-math on the command line: SwiftPM refuses
// `unsafeFlags` in a package used as a dependency.
#pragma clang fp reassociate(on) contract(fast)

#define INLINE static inline __attribute__((always_inline))

int clipkit_kernels_version(void) { return 3; }

// MARK: - bodies

INLINE void layer_norm_body(const float *x, size_t rows, size_t width, const float *gamma,
                            const float *beta, float epsilon, float *out) {
    for (size_t r = 0; r < rows; r++)
        clipkit_layer_norm_row(x + r * width, width, gamma, beta, epsilon, out + r * width);
}

INLINE void bias_quick_gelu_body(float *x, size_t rows, size_t columns, const float *bias) {
    for (size_t r = 0; r < rows; r++) {
        float *row = x + r * columns;
        if (bias) {
            for (size_t c = 0; c < columns; c++) {
                const float v = row[c] + bias[c];
                row[c] = v / (1.0f + clipkit_fast_expf(-1.702f * v));
            }
        } else {
            for (size_t c = 0; c < columns; c++) {
                const float v = row[c];
                row[c] = v / (1.0f + clipkit_fast_expf(-1.702f * v));
            }
        }
    }
}

INLINE void bias_gelu_tanh_body(float *x, size_t rows, size_t columns, const float *bias) {
    for (size_t r = 0; r < rows; r++) {
        float *row = x + r * columns;
        for (size_t c = 0; c < columns; c++) row[c] = clipkit_gelu_tanh(bias ? row[c] + bias[c] : row[c]);
    }
}

INLINE void add_bias_body(float *x, size_t rows, size_t columns, const float *bias) {
    for (size_t r = 0; r < rows; r++) {
        float *row = x + r * columns;
        for (size_t c = 0; c < columns; c++) row[c] += bias[c];
    }
}

// Attention of one head over one sequence, register-blocked. Keys are first transposed into
// `kt` [head_size, padded] (zero columns up to a multiple of 16), queries of a block of QB are
// copied, pre-scaled, into `qs`. Scores: for each block of KB keys, QB×KB accumulators stay in
// registers over the whole head dimension (one load of `kt` feeds QB multiply-adds). Context:
// for each chunk of DC head columns, QB×DC accumulators stay in registers over the keys (one
// load of a value row feeds QB multiply-adds). The first version kept the partial scores and
// context rows in memory (a load and a store per multiply-add) and took 6.6 % of the ViT-B/32
// tower's time for 1 % of its arithmetic (perf, docs/performance.md). KB and DC are the vector
// width of the variant (8 for AVX2, 16 for AVX-512) and twice it.
#define PAD32(n) (((n) + 31) & ~(size_t)31)
/// The largest query block of any variant (scratch size).
#define QB_MAX 8

#define ATTENTION_BODY(NAME, QB, KB, DC)                                                             \
    INLINE void NAME(const float *q, const float *k, const float *v, size_t stride, size_t length, \
                     size_t head_size, float scale, int causal, float *scratch, float *out,       \
                     size_t out_stride) {                                                          \
        const size_t padded = PAD32(length);                                                       \
        float *kt = scratch;                           /* [head_size, padded] */                   \
        float *scores = kt + head_size * padded;       /* [QB, padded] */                          \
        float *qs = scores + QB * padded;              /* [QB, head_size] */                       \
        float *vs = qs + QB * head_size;               /* [length, head_size] */                   \
        /* Keys and values are first copied to contiguous rows: rows of the QKV buffer lie      \
           3 · width floats apart (9,216 bytes for ViT-B), which maps them onto a few L1 sets, so \
           the transposition and the context loop missed L1 when reading them in place. The keys \
           pass through `vs` on their way to `kt`. */                                            \
        for (size_t j = 0; j < length; j++)                                                        \
            memcpy(vs + j * head_size, k + j * stride, head_size * sizeof(float));                 \
        for (size_t d = 0; d < head_size; d++) {                                                   \
            for (size_t j = 0; j < length; j++) kt[d * padded + j] = vs[j * head_size + d];        \
            for (size_t j = length; j < padded; j++) kt[d * padded + j] = 0;                       \
        }                                                                                          \
        for (size_t j = 0; j < length; j++)                                                        \
            memcpy(vs + j * head_size, v + j * stride, head_size * sizeof(float));                 \
        for (size_t i0 = 0; i0 < length; i0 += QB) {                                               \
            const size_t block = length - i0 < QB ? length - i0 : QB;                              \
            /* Rows past the end repeat the last query; their results are never written. */       \
            for (size_t b = 0; b < QB; b++) {                                                      \
                const float *qi = q + (i0 + (b < block ? b : block - 1)) * stride;                 \
                for (size_t d = 0; d < head_size; d++) qs[b * head_size + d] = qi[d] * scale;      \
            }                                                                                      \
            /* Keys any query of the block may see, and the key count of the block's last row. */ \
            const size_t seen_max = causal ? i0 + block : length;                                  \
            const size_t span = (seen_max + KB - 1) / KB * KB;                                     \
            for (size_t j0 = 0; j0 < span; j0 += KB) {                                             \
                float acc[QB][KB];                                                                 \
                for (size_t b = 0; b < QB; b++)                                                    \
                    for (size_t j = 0; j < KB; j++) acc[b][j] = 0;                                 \
                for (size_t d = 0; d < head_size; d++) {                                           \
                    const float *kd = kt + d * padded + j0;                                        \
                    for (size_t b = 0; b < QB; b++) {                                              \
                        const float qd = qs[b * head_size + d];                                    \
                        for (size_t j = 0; j < KB; j++) acc[b][j] += qd * kd[j];                   \
                    }                                                                              \
                }                                                                                  \
                for (size_t b = 0; b < QB; b++)                                                    \
                    for (size_t j = 0; j < KB; j++) scores[b * padded + j0 + j] = acc[b][j];       \
            }                                                                                      \
            /* Softmax without the 1/sum (applied to the context rows instead). The maximum and the\
               sum run in KB independent lanes: a single running sum is a chain of dependent adds, \
               which had left this loop scalar and latency-bound. */                               \
            float inverse[QB];                                                                     \
            for (size_t b = 0; b < block; b++) {                                                   \
                float *s = scores + b * padded;                                                    \
                const size_t seen = causal ? i0 + b + 1 : length;                                  \
                const size_t whole = seen / KB * KB;                                               \
                float lanes[KB];                                                                   \
                for (size_t j = 0; j < KB; j++) lanes[j] = s[0];                                   \
                for (size_t j0 = 0; j0 < whole; j0 += KB)                                          \
                    for (size_t j = 0; j < KB; j++) lanes[j] = s[j0 + j] > lanes[j] ? s[j0 + j] : lanes[j];\
                float maximum = s[0];                                                              \
                for (size_t j = 0; j < KB; j++) maximum = lanes[j] > maximum ? lanes[j] : maximum; \
                for (size_t j = whole; j < seen; j++) maximum = s[j] > maximum ? s[j] : maximum;   \
                for (size_t j = 0; j < seen; j++) s[j] = clipkit_fast_expf(s[j] - maximum);        \
                for (size_t j = 0; j < KB; j++) lanes[j] = 0;                                      \
                for (size_t j0 = 0; j0 < whole; j0 += KB)                                          \
                    for (size_t j = 0; j < KB; j++) lanes[j] += s[j0 + j];                         \
                for (size_t j = whole; j < seen; j++) lanes[j - whole] += s[j];                    \
                float sum = 0;                                                                     \
                for (size_t j = 0; j < KB; j++) sum += lanes[j];                                   \
                inverse[b] = 1.0f / sum;                                                           \
                /* Masked keys weigh nothing in the context sum below. */                          \
                for (size_t j = seen; j < seen_max; j++) s[j] = 0;                                 \
            }                                                                                      \
            for (size_t b = block; b < QB; b++)                                                    \
                for (size_t j = 0; j < seen_max; j++) scores[b * padded + j] = 0;                  \
            size_t d0 = 0;                                                                         \
            for (; d0 + DC <= head_size; d0 += DC) {                                               \
                float acc[QB][DC];                                                                 \
                for (size_t b = 0; b < QB; b++)                                                    \
                    for (size_t d = 0; d < DC; d++) acc[b][d] = 0;                                 \
                for (size_t j = 0; j < seen_max; j++) {                                            \
                    const float *vj = vs + j * head_size + d0;                                     \
                    for (size_t b = 0; b < QB; b++) {                                              \
                        const float p = scores[b * padded + j];                                    \
                        for (size_t d = 0; d < DC; d++) acc[b][d] += p * vj[d];                    \
                    }                                                                              \
                }                                                                                  \
                for (size_t b = 0; b < block; b++)                                                 \
                    for (size_t d = 0; d < DC; d++) out[(i0 + b) * out_stride + d0 + d] = acc[b][d] * inverse[b]; \
            }                                                                                      \
            for (; d0 < head_size; d0++) {                                                         \
                for (size_t b = 0; b < block; b++) {                                               \
                    float sum = 0;                                                                 \
                    for (size_t j = 0; j < seen_max; j++)                                          \
                        sum += scores[b * padded + j] * vs[j * head_size + d0];                    \
                    out[(i0 + b) * out_stride + d0] = sum * inverse[b];                            \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

ATTENTION_BODY(attention_head_body, 4, 8, 16)
ATTENTION_BODY(attention_head_body_avx2, 4, 16, 16)
ATTENTION_BODY(attention_head_body_wide, 8, 32, 32)
// Short sequences (ViT-B/32's 50 tokens) waste less on partial query blocks with 4 rows.
ATTENTION_BODY(attention_head_body_wide_short, 4, 16, 32)

size_t clipkit_attention_scratch_count(size_t length, size_t head_size) {
    return (head_size + QB_MAX) * PAD32(length) + QB_MAX * head_size + length * head_size;
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
DISPATCH(bias_gelu_tanh, (float *x, size_t rows, size_t columns, const float *bias),
         (x, rows, columns, bias))
DISPATCH(add_bias, (float *x, size_t rows, size_t columns, const float *bias),
         (x, rows, columns, bias))
// Attention has three variants: the baseline (8-key blocks), AVX2+FMA (16-key blocks), and
// AVX-512 (16- or 32-key blocks by length, 512-bit vectors), picked at run time; tests run each one the CPU supports through
// clipkit_attention_head_variant.
#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
static int has_avx512(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = has_avx2() && __builtin_cpu_supports("avx512f") &&
                 __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512dq");
    }
    return cached;
}
#define ATTENTION_PARAMS                                                                     \
    (const float *q, const float *k, const float *v, size_t stride, size_t length,          \
     size_t head_size, float scale, int causal, float *scratch, float *out, size_t out_stride)
#define ATTENTION_ARGS (q, k, v, stride, length, head_size, scale, causal, scratch, out, out_stride)
static void attention_head_base ATTENTION_PARAMS { attention_head_body ATTENTION_ARGS; }
AVX2 static void attention_head_avx2 ATTENTION_PARAMS { attention_head_body_avx2 ATTENTION_ARGS; }
AVX512 static void attention_head_avx512 ATTENTION_PARAMS {
    if (length < 128) attention_head_body_wide_short ATTENTION_ARGS;
    else attention_head_body_wide ATTENTION_ARGS;
}

int clipkit_kernel_variant_supported(int variant) {
    switch (variant) {
    case CLIPKIT_VARIANT_BASELINE: return 1;
    case CLIPKIT_VARIANT_AVX2: return has_avx2();
    case CLIPKIT_VARIANT_AVX512: return has_avx512();
    default: return 0;
    }
}

int clipkit_attention_variant(void) {
    return has_avx512() ? CLIPKIT_VARIANT_AVX512 : has_avx2() ? CLIPKIT_VARIANT_AVX2 : CLIPKIT_VARIANT_BASELINE;
}

int clipkit_attention_head_variant(int variant, const float *q, const float *k, const float *v,
                                   size_t stride, size_t length, size_t head_size, float scale,
                                   int causal, float *scratch, float *out, size_t out_stride) {
    if (!clipkit_kernel_variant_supported(variant)) return 0;
    switch (variant) {
    case CLIPKIT_VARIANT_AVX512: attention_head_avx512 ATTENTION_ARGS; break;
    case CLIPKIT_VARIANT_AVX2: attention_head_avx2 ATTENTION_ARGS; break;
    default: attention_head_base ATTENTION_ARGS; break;
    }
    return 1;
}

void clipkit_attention_head ATTENTION_PARAMS {
    if (has_avx512()) attention_head_avx512 ATTENTION_ARGS;
    else if (has_avx2()) attention_head_avx2 ATTENTION_ARGS;
    else attention_head_base ATTENTION_ARGS;
}
#else
int clipkit_kernel_variant_supported(int variant) { return variant == CLIPKIT_VARIANT_BASELINE; }
int clipkit_attention_variant(void) { return CLIPKIT_VARIANT_BASELINE; }
int clipkit_attention_head_variant(int variant, const float *q, const float *k, const float *v,
                                   size_t stride, size_t length, size_t head_size, float scale,
                                   int causal, float *scratch, float *out, size_t out_stride) {
    if (variant != CLIPKIT_VARIANT_BASELINE) return 0;
    attention_head_body(q, k, v, stride, length, head_size, scale, causal, scratch, out, out_stride);
    return 1;
}
void clipkit_attention_head(const float *q, const float *k, const float *v, size_t stride,
                            size_t length, size_t head_size, float scale, int causal,
                            float *scratch, float *out, size_t out_stride) {
    attention_head_body(q, k, v, stride, length, head_size, scale, causal, scratch, out, out_stride);
}
#endif
