#ifndef CLIPKIT_KERNELS_H
#define CLIPKIT_KERNELS_H
#include <stddef.h>
#include <stdint.h>

#include "CLIPKitReducedPrecision.h"  // int8 / bf16 products (gemm_int8.c, gemm_bf16.c)

// Row-wise and element-wise kernels of the transformer, in C because Swift cannot reach AVX2
// and FMA without building the whole package for x86-64-v3, nor vectorise exp; each kernel is
// compiled twice (AVX2+FMA and baseline) and picked at run time. Measurements: see kernels.c.
// All buffers are row-major float32; no kernel allocates.

/// Version tag, bumped when a kernel's contract changes.
int clipkit_kernels_version(void);

/// out[r] = (x[r] - mean) / sqrt(var + eps) * gamma + beta for each of `rows` rows of `width`.
/// `x` and `out` may be the same buffer.
void clipkit_layer_norm(const float *x, size_t rows, size_t width, const float *gamma,
                        const float *beta, float epsilon, float *out);

/// x[r, c] = q(x[r, c] + bias[c]) with q(v) = v * sigmoid(1.702 v) (CLIP's quick_gelu), for
/// `rows` rows of `columns`. `bias` may be NULL.
void clipkit_bias_quick_gelu(float *x, size_t rows, size_t columns, const float *bias);

/// x[r, c] = g(x[r, c] + bias[c]) with g PyTorch's `gelu(approximate="tanh")` (SigLIP), for
/// `rows` rows of `columns`, computed as v · sigmoid(2u) (see fast_exp.h). `bias` may be NULL.
void clipkit_bias_gelu_tanh(float *x, size_t rows, size_t columns, const float *bias);

/// x[r, c] += bias[c] for `rows` rows of `columns`.
void clipkit_add_bias(float *x, size_t rows, size_t columns, const float *bias);

/// Pillow's horizontal resampling pass (8-bit RGB, 22-bit fixed-point weights), integer-exact:
/// output pixel `xx` of row `r` is clip8(2^21 + Σ_t src[r][starts[xx] + t] · weights[xx ·
/// kernel_size + t] >> 22) per channel, for t < counts[xx]. Rows of `src` are `src_stride`
/// bytes apart; `dst` rows are `3 · out_width` bytes. (resample.c)
void clipkit_resample_horizontal_rgb(const uint8_t *src, size_t src_stride, size_t rows,
                                     const ptrdiff_t *starts, const ptrdiff_t *counts,
                                     const int32_t *weights, size_t kernel_size,
                                     size_t out_width, uint8_t *dst);

/// ``clipkit_resample_horizontal_rgb`` in plain C, what the SSE4.1 variant must equal (tests).
void clipkit_resample_horizontal_rgb_reference(const uint8_t *src, size_t src_stride, size_t rows,
                                               const ptrdiff_t *starts, const ptrdiff_t *counts,
                                               const int32_t *weights, size_t kernel_size,
                                               size_t out_width, uint8_t *dst);

/// Scratch floats `clipkit_attention_head` needs for sequences up to `length` tokens.
size_t clipkit_attention_scratch_count(size_t length, size_t head_size);

/// One attention head over one sequence of `length` tokens:
/// out[i] = softmax_j(scale · q[i] · k[j]) · v[j], with j ≤ i when `causal`.
/// `q`, `k`, `v` point at the head's first column in rows `stride` floats apart (a fused QKV
/// buffer); `out` rows are `out_stride` apart. `scratch` holds
/// `clipkit_attention_scratch_count(length, head_size)` floats.
void clipkit_attention_head(const float *q, const float *k, const float *v, size_t stride,
                            size_t length, size_t head_size, float scale, int causal,
                            float *scratch, float *out, size_t out_stride);

/// Instruction-set variants of the kernels that have several, for tests and reports.
enum {
    CLIPKIT_VARIANT_BASELINE = 0,  ///< portable C (SSE2 on x86-64)
    CLIPKIT_VARIANT_AVX2 = 1,      ///< AVX2 + FMA
    CLIPKIT_VARIANT_AVX512 = 2,    ///< AVX-512 F/VL/BW/DQ
};

/// 1 if this CPU can run `variant`, else 0.
int clipkit_kernel_variant_supported(int variant);

/// The variant `clipkit_attention_head` runs on this CPU.
int clipkit_attention_variant(void);

/// `clipkit_attention_head` forced to `variant`; returns 0 (and does nothing) if this CPU
/// cannot run it. For tests comparing each variant with a reference.
int clipkit_attention_head_variant(int variant, const float *q, const float *k, const float *v,
                                   size_t stride, size_t length, size_t head_size, float scale,
                                   int causal, float *scratch, float *out, size_t out_stride);

#endif
