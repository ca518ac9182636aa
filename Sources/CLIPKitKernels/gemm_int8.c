// int8 matrix products of the encoder layers (see CLIPKitReducedPrecision.h for the contract).
//
// Why C: vpdpbusd / vpmaddwd are reachable only through intrinsics, and each variant must be
// compiled for its own instruction set (per-function `target`) and chosen at run time.
//
// Scheme: weights s8 (±clipkit_int8_weight_max), symmetric per output channel (quantized once
// at load, packed so that one 16-column × 4-k group is one 64-byte register); activations
// unsigned, asymmetric per token (scale and zero point per row), 12 bits by default (8 with
// CLIPKIT_INT8_ACTIVATION_BITS=8), stored as each kernel reads them: u16 for AVX2 (see
// tile_avx2), two u8 planes per group for VNNI (see tile_vnni), either for the scalar kernel. An
// asymmetric range spends every level on the row's actual [min, max]: after quick_gelu the
// values lie in [−0.28, max], where a symmetric scale would waste almost half its levels. The
// zero point costs one multiply-add per output in the epilogue: Σ (a − z) w = Σ a w − z Σ w,
// with Σ w precomputed per channel. Input columns with outlier magnitudes (found at load from
// the layer norm's weights) are excluded from the quantization and computed in fp32 in the
// epilogue, so they do not inflate every token's scale.
//
// Blocking: the caller splits the columns over the cores; here rows are taken in blocks that
// fit L2 (~256 KB of activations), and for each 32-column weight panel (L1/L2 resident) every
// 8-row (VNNI) or 6-row (AVX2) register tile of the block runs over all of k, then the epilogue
// (dequantize, fp32 outlier columns, bias, activation, residual) writes the tile.
#include "layer_norm_row.h"
#include "reduced_precision_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#pragma clang fp reassociate(on) contract(fast)

size_t clipkit_int8_padded_k(size_t k) { return rp_round_up(k, 4); }

size_t clipkit_int8_packed_size(size_t n, size_t k) {
    return clipkit_padded_n(n) * clipkit_int8_padded_k(k);
}

/// Offset of weight (row n, column k) in the packed layout.
RP_INLINE size_t packed_offset(size_t n, size_t k, size_t groups) {
    return ((n / 16) * groups + k / 4) * 64 + (n % 16) * 4 + k % 4;
}

/// Quantizes and packs output rows [row_begin, row_end) (see clipkit_int8_pack_rows).
RP_INLINE void int8_pack_rows(const float *w, size_t n, size_t k, const int32_t *skip,
                              size_t skip_count, int weight_max, size_t row_begin, size_t row_end,
                              int8_t *packed, float *scales, int32_t *sums) {
    const float top = (float)weight_max;
    const size_t kp = clipkit_int8_padded_k(k), groups = kp / 4;
    // The 16-row panels these rows fill, and the zero padding panels after the last row.
    const size_t panel_end = row_end == n ? clipkit_padded_n(n) / 16 : (row_end + 15) / 16;
    memset(packed + (row_begin / 16) * groups * 64, 0, (panel_end - row_begin / 16) * groups * 64);
    for (size_t row = row_begin; row < row_end; row++) {
        const float *src = w + row * k;
        float maximum = 0;
        size_t s = 0;
        for (size_t col = 0; col < k; col++) {
            if (s < skip_count && (size_t)skip[s] == col) { s++; continue; }
            const float a = fabsf(src[col]);
            maximum = a > maximum ? a : maximum;
        }
        const float scale = maximum > 0 ? maximum / top : 1.0f;
        const float inverse = 1.0f / scale;
        int32_t sum = 0;
        s = 0;
        for (size_t col = 0; col < k; col++) {
            if (s < skip_count && (size_t)skip[s] == col) { s++; continue; }
            float q = __builtin_rintf(src[col] * inverse);
            q = q > top ? top : (q < -top ? -top : q);
            packed[packed_offset(row, col, groups)] = (int8_t)q;
            sum += (int32_t)q;
        }
        scales[row] = maximum > 0 ? scale : 0.0f;
        sums[row] = sum;
    }
}

static void int8_pack_rows_baseline(const float *w, size_t n, size_t k, const int32_t *skip,
                                    size_t skip_count, int weight_max, size_t row_begin,
                                    size_t row_end, int8_t *packed, float *scales, int32_t *sums) {
    int8_pack_rows(w, n, k, skip, skip_count, weight_max, row_begin, row_end, packed, scales, sums);
}

#if defined(__x86_64__)
/// The same code where rounding is one instruction (vroundss) instead of a libm call: packing
/// is most of an int8 model's load time. Byte-identical to the baseline (both round to nearest
/// even).
RP_AVX2 static void int8_pack_rows_avx2(const float *w, size_t n, size_t k, const int32_t *skip,
                                        size_t skip_count, int weight_max, size_t row_begin,
                                        size_t row_end, int8_t *packed, float *scales,
                                        int32_t *sums) {
    int8_pack_rows(w, n, k, skip, skip_count, weight_max, row_begin, row_end, packed, scales, sums);
}
#endif

void clipkit_int8_pack_rows(const float *w, size_t n, size_t k, const int32_t *skip,
                            size_t skip_count, int weight_max, size_t row_begin, size_t row_end,
                            int8_t *packed, float *scales, int32_t *sums) {
    if (row_begin >= row_end || row_begin % 16 != 0 || row_end > n) return;
    weight_max = weight_max < 1 ? 1 : (weight_max > 127 ? 127 : weight_max);
#if defined(__x86_64__)
    if (rp_cpu_features().avx2) {
        int8_pack_rows_avx2(w, n, k, skip, skip_count, weight_max, row_begin, row_end, packed,
                            scales, sums);
        return;
    }
#endif
    int8_pack_rows_baseline(w, n, k, skip, skip_count, weight_max, row_begin, row_end, packed,
                            scales, sums);
}

void clipkit_int8_pack(const float *w, size_t n, size_t k, const int32_t *skip, size_t skip_count,
                       int weight_max, int8_t *packed, float *scales, int32_t *sums) {
    if (n == 0) return;
    clipkit_int8_pack_rows(w, n, k, skip, skip_count, weight_max, 0, n, packed, scales, sums);
}

void clipkit_pack_outlier_columns(const float *w, size_t n, size_t k, const int32_t *columns,
                                  size_t count, float *out) {
    const size_t np = clipkit_padded_n(n);
    memset(out, 0, np * count * sizeof(float));
    for (size_t row = 0; row < n; row++)
        for (size_t j = 0; j < count; j++)
            out[rp_outlier_index(row, j, count)] = w[row * k + (size_t)columns[j]];
}

// MARK: - activation quantization

/// The scale, zero point and reciprocal step of a row with minimum `lo` ≤ 0 ≤ `hi` = maximum;
/// 0 when the row quantizes to zeros (all zero, or not finite: no meaningful scale).
typedef struct {
    float scale, inverse;
    int32_t zero;
} rp_row_quantization;

RP_INLINE int rp_row_quantization_make(float lo, float hi, int qmax, rp_row_quantization *out) {
    const float range = hi - lo;
    if (!(range > 0) || !isfinite(range)) {
        out->scale = range > 0 ? 0.0f : 1.0f;
        out->inverse = 0;
        out->zero = 0;
        return 0;
    }
    out->scale = range / (float)qmax;
    out->inverse = (float)qmax / range;
    float z = rintf(-lo * out->inverse);
    out->zero = (int32_t)(z < 0 ? 0 : (z > (float)qmax ? (float)qmax : z));
    return 1;
}

/// Value `i` of a row of quantized activations in `encoding` (CLIPKIT_INT8_VALUES_*), and its
/// store. A split row keeps group g's low bytes at 8g...8g + 3 and its high bytes 4 later.
RP_INLINE int32_t rp_value(const void *row, int encoding, size_t i) {
    const uint8_t *bytes = row;
    switch (encoding) {
    case CLIPKIT_INT8_VALUES_U16: return (int32_t)((const uint16_t *)row)[i];
    case CLIPKIT_INT8_VALUES_U16_SPLIT: {
        const size_t low = 8 * (i / 4) + i % 4;
        return (int32_t)bytes[low] | (int32_t)bytes[low + 4] << 8;
    }
    default: return (int32_t)bytes[i];
    }
}
RP_INLINE void rp_store_value(void *row, int encoding, size_t i, int32_t v) {
    uint8_t *bytes = row;
    switch (encoding) {
    case CLIPKIT_INT8_VALUES_U16: ((uint16_t *)row)[i] = (uint16_t)v; return;
    case CLIPKIT_INT8_VALUES_U16_SPLIT: {
        const size_t low = 8 * (i / 4) + i % 4;
        bytes[low] = (uint8_t)v;
        bytes[low + 4] = (uint8_t)(v >> 8);
        return;
    }
    default: bytes[i] = (uint8_t)v; return;
    }
}

/// Fills a quantized row's padding (k up to the group of 4) with its zero point.
RP_INLINE void rp_pad_row(void *row, int encoding, size_t k, int32_t zero) {
    for (size_t i = k; i < clipkit_int8_padded_k(k); i++) rp_store_value(row, encoding, i, zero);
}

/// Quantizes one row `x[k]` whose outlier columns already hold 0 (0 is inside every row's
/// range, so they quantize to exactly the zero point) into `encoding`. The vector
/// variants below compute the same values: round to nearest even of x · inverse, plus the zero
/// point, clamped to 0...qmax.
RP_INLINE void quantize_row(const float *x, size_t k, int qmax, int encoding, void *q,
                            float *scale, int32_t *zero) {
    float lo = 0, hi = 0;
    for (size_t i = 0; i < k; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    rp_row_quantization row;
    if (!rp_row_quantization_make(lo, hi, qmax, &row)) {
        memset(q, 0, clipkit_int8_padded_k(k) * clipkit_int8_value_bytes(encoding));
    } else {
        const float z = (float)row.zero, top = (float)qmax;
        for (size_t i = 0; i < k; i++) {
            float v = rintf(x[i] * row.inverse) + z;
            v = v > 0 ? (v < top ? v : top) : 0;  // NaN → 0, as the vector variants
            rp_store_value(q, encoding, i, (int32_t)v);
        }
        rp_pad_row(q, encoding, k, row.zero);
    }
    *scale = row.scale;
    *zero = row.zero;
}

/// Copies row `r`'s outlier columns out and zeroes them in `scratch`; returns the row to
/// quantize (`row` itself when there are none).
RP_INLINE const float *take_outliers(const float *row, size_t k, size_t r, const int32_t *cols,
                                     size_t count, float *scratch, float *outliers) {
    if (!count) return row;
    if (row != scratch) memcpy(scratch, row, k * sizeof(float));
    for (size_t j = 0; j < count; j++) {
        outliers[r * count + j] = scratch[cols[j]];
        scratch[cols[j]] = 0;
    }
    return scratch;
}

#if defined(__x86_64__)
// Explicit vector quantizers: the compiler does not vectorise the rounding and u8 narrowing of
// the loop above, which made quantization cost a fifth of the product it feeds.

RP_AVX2 RP_INLINE void quantize_row_avx2(const float *x, size_t k, int qmax, int encoding, void *q,
                                         float *scale, int32_t *zero) {
    __m256 lo8 = _mm256_setzero_ps(), hi8 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= k; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        lo8 = _mm256_min_ps(v, lo8);  // a NaN in x leaves lo8 as it was, as in the scalar loop
        hi8 = _mm256_max_ps(v, hi8);
    }
    float lanes[8], lo = 0, hi = 0;
    _mm256_storeu_ps(lanes, lo8);
    for (int j = 0; j < 8; j++) lo = lanes[j] < lo ? lanes[j] : lo;
    _mm256_storeu_ps(lanes, hi8);
    for (int j = 0; j < 8; j++) hi = lanes[j] > hi ? lanes[j] : hi;
    for (size_t t = i; t < k; t++) {
        lo = x[t] < lo ? x[t] : lo;
        hi = x[t] > hi ? x[t] : hi;
    }
    rp_row_quantization row;
    if (!rp_row_quantization_make(lo, hi, qmax, &row)) {
        memset(q, 0, clipkit_int8_padded_k(k) * clipkit_int8_value_bytes(encoding));
    } else {
        const __m256 inverse = _mm256_set1_ps(row.inverse);
        const __m256i z = _mm256_set1_epi32(row.zero), top = _mm256_set1_epi32(qmax);
        const __m256i zero = _mm256_setzero_si256();
        const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        // Within each group of 4 u16 values: the 4 low bytes, then the 4 high bytes.
        const __m256i split = _mm256_setr_epi8(0, 2, 4, 6, 1, 3, 5, 7, 8, 10, 12, 14, 9, 11, 13, 15,
                                               0, 2, 4, 6, 1, 3, 5, 7, 8, 10, 12, 14, 9, 11, 13, 15);
        const size_t step = encoding == CLIPKIT_INT8_VALUES_U8 ? 32 : 16;
        size_t c = 0;
        for (; c + step <= k; c += step) {
            __m256i v[4];
            for (size_t j = 0; j < step / 8; j++) {
                // cvtps rounds to nearest even (the default MXCSR mode), as rintf does.
                v[j] = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + c + 8 * j), inverse)), z);
                v[j] = _mm256_min_epi32(_mm256_max_epi32(v[j], zero), top);
            }
            // packus works within 128-bit lanes; the permutes put the values back in order.
            const __m256i words = _mm256_packus_epi32(v[0], v[1]);
            if (encoding == CLIPKIT_INT8_VALUES_U16) {
                _mm256_storeu_si256((__m256i *)((uint16_t *)q + c), _mm256_permute4x64_epi64(words, 0xD8));
            } else if (encoding == CLIPKIT_INT8_VALUES_U16_SPLIT) {
                const __m256i ordered = _mm256_permute4x64_epi64(words, 0xD8);
                _mm256_storeu_si256((__m256i *)((uint8_t *)q + 2 * c), _mm256_shuffle_epi8(ordered, split));
            } else {
                const __m256i words2 = _mm256_packus_epi32(v[2], v[3]);
                const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(words, words2), order);
                _mm256_storeu_si256((__m256i *)((uint8_t *)q + c), bytes);
            }
        }
        const float zf = (float)row.zero, topf = (float)qmax;
        for (; c < k; c++) {
            float v = rintf(x[c] * row.inverse) + zf;
            v = v > 0 ? (v < topf ? v : topf) : 0;  // NaN → 0, as the vector variants
            rp_store_value(q, encoding, c, (int32_t)v);
        }
        rp_pad_row(q, encoding, k, row.zero);
    }
    *scale = row.scale;
    *zero = row.zero;
}

RP_AVX512 RP_INLINE void quantize_row_avx512(const float *x, size_t k, int qmax, int encoding,
                                             void *q, float *scale, int32_t *zero) {
    __m512 lo16 = _mm512_setzero_ps(), hi16 = _mm512_setzero_ps();
    for (size_t i = 0; i < k; i += 16) {
        const __mmask16 m = k - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (k - i)) - 1);
        const __m512 v = _mm512_maskz_loadu_ps(m, x + i);  // masked lanes read 0, inside every range
        lo16 = _mm512_min_ps(v, lo16);  // a NaN in x leaves lo16 as it was, as in the scalar loop
        hi16 = _mm512_max_ps(v, hi16);
    }
    const float lo = _mm512_reduce_min_ps(lo16), hi = _mm512_reduce_max_ps(hi16);
    rp_row_quantization row;
    if (!rp_row_quantization_make(lo, hi, qmax, &row)) {
        memset(q, 0, clipkit_int8_padded_k(k) * clipkit_int8_value_bytes(encoding));
    } else {
        const __m512 inverse = _mm512_set1_ps(row.inverse);
        const __m512i z = _mm512_set1_epi32(row.zero), top = _mm512_set1_epi32(qmax);
        const __m512i zero = _mm512_setzero_si512();
        const __m256i split = _mm256_setr_epi8(0, 2, 4, 6, 1, 3, 5, 7, 8, 10, 12, 14, 9, 11, 13, 15,
                                               0, 2, 4, 6, 1, 3, 5, 7, 8, 10, 12, 14, 9, 11, 13, 15);
        for (size_t c = 0; c < k; c += 16) {
            const __mmask16 m = k - c >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (k - c)) - 1);
            // cvtps rounds to nearest even (the default MXCSR mode), as rintf does.
            __m512i v = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + c), inverse));
            v = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(v, z), zero), top);
            if (encoding == CLIPKIT_INT8_VALUES_U16) {
                _mm512_mask_cvtepi32_storeu_epi16((uint16_t *)q + c, m, v);
            } else if (encoding == CLIPKIT_INT8_VALUES_U8) {
                _mm512_mask_cvtepi32_storeu_epi8((uint8_t *)q + c, m, v);
            } else if (m == 0xFFFF) {
                // Four whole groups: the low bytes, then the high bytes, of each.
                const __m256i words = _mm512_cvtepi32_epi16(v);
                _mm256_storeu_si256((__m256i *)((uint8_t *)q + 2 * c), _mm256_shuffle_epi8(words, split));
            } else {
                int32_t tail[16];
                _mm512_storeu_si512(tail, v);
                for (size_t j = 0; j < k - c; j++) rp_store_value(q, encoding, c + j, tail[j]);
            }
        }
        rp_pad_row(q, encoding, k, row.zero);
    }
    *scale = row.scale;
    *zero = row.zero;
}

// One function per instruction set for each entry point, so each inlines its own quantizer.
#define RP_QUANTIZE_ROWS(name, target, quantize)                                                   \
    target static void name(const float *x, size_t rows, size_t k, size_t ldx, int qmax,            \
                            int encoding, const int32_t *cols, size_t count, float *scratch,        \
                            void *values, size_t lda, float *scales, int32_t *zeros,                \
                            float *outliers) {                                                      \
        for (size_t r = 0; r < rows; r++) {                                                         \
            const float *row = take_outliers(x + r * ldx, k, r, cols, count, scratch, outliers);    \
            quantize(row, k, qmax, encoding, (uint8_t *)values + r * lda, scales + r, zeros + r);   \
        }                                                                                           \
    }
#define RP_LAYER_NORM_QUANTIZE(name, target, quantize)                                             \
    target static void name(const float *x, size_t rows, size_t k, const float *gamma,              \
                            const float *beta, float epsilon, int qmax, int encoding,               \
                            const int32_t *cols, size_t count, float *scratch, void *values,        \
                            size_t lda, float *scales, int32_t *zeros, float *outliers) {           \
        for (size_t r = 0; r < rows; r++) {                                                         \
            clipkit_layer_norm_row(x + r * k, k, gamma, beta, epsilon, scratch);                    \
            take_outliers(scratch, k, r, cols, count, scratch, outliers);                           \
            quantize(scratch, k, qmax, encoding, (uint8_t *)values + r * lda, scales + r, zeros + r); \
        }                                                                                           \
    }
RP_QUANTIZE_ROWS(quantize_rows_avx2, RP_AVX2, quantize_row_avx2)
RP_QUANTIZE_ROWS(quantize_rows_avx512, RP_AVX512, quantize_row_avx512)
RP_LAYER_NORM_QUANTIZE(layer_norm_quantize_avx2, RP_AVX2, quantize_row_avx2)
RP_LAYER_NORM_QUANTIZE(layer_norm_quantize_avx512, RP_AVX512, quantize_row_avx512)
#endif

RP_QUANTIZE_ROWS(quantize_rows_scalar, , quantize_row)
RP_LAYER_NORM_QUANTIZE(layer_norm_quantize_scalar, , quantize_row)

/// The encoding and qmax the quantizers work with: a known encoding (u8 otherwise, as
/// clipkit_int8_value_bytes reads it), qmax within what its values hold.
RP_INLINE int rp_encoding(int encoding) {
    return clipkit_int8_value_bytes(encoding) == 2 ? encoding : CLIPKIT_INT8_VALUES_U8;
}
RP_INLINE int rp_qmax(int qmax, int encoding) {
    const int top = encoding == CLIPKIT_INT8_VALUES_U8 ? 255 : 65535;
    return qmax < 1 ? 1 : (qmax > top ? top : qmax);
}

void clipkit_quantize_rows(const float *x, size_t rows, size_t k, size_t ldx, int qmax,
                           int encoding, const int32_t *outlier_columns, size_t outlier_count,
                           float *scratch, void *values, size_t lda, float *scales,
                           int32_t *zero_points, float *outliers) {
    encoding = rp_encoding(encoding);
    qmax = rp_qmax(qmax, encoding);
#if defined(__x86_64__)
    const rp_features f = rp_cpu_features();
    if (f.avx512 || f.avx2) {
        (f.avx512 ? quantize_rows_avx512 : quantize_rows_avx2)(
            x, rows, k, ldx, qmax, encoding, outlier_columns, outlier_count, scratch, values, lda,
            scales, zero_points, outliers);
        return;
    }
#endif
    quantize_rows_scalar(x, rows, k, ldx, qmax, encoding, outlier_columns, outlier_count, scratch,
                         values, lda, scales, zero_points, outliers);
}

void clipkit_quantize_rows_reference(const float *x, size_t rows, size_t k, size_t ldx, int qmax,
                                     int encoding, const int32_t *outlier_columns,
                                     size_t outlier_count, float *scratch, void *values,
                                     size_t lda, float *scales, int32_t *zero_points,
                                     float *outliers) {
    encoding = rp_encoding(encoding);
    quantize_rows_scalar(x, rows, k, ldx, rp_qmax(qmax, encoding), encoding, outlier_columns,
                         outlier_count, scratch, values, lda, scales, zero_points, outliers);
}

void clipkit_layer_norm_quantize(const float *x, size_t rows, size_t k, const float *gamma,
                                 const float *beta, float epsilon, int qmax, int encoding,
                                 const int32_t *outlier_columns, size_t outlier_count,
                                 float *scratch, void *values, size_t lda, float *scales,
                                 int32_t *zero_points, float *outliers) {
    encoding = rp_encoding(encoding);
    qmax = rp_qmax(qmax, encoding);
#if defined(__x86_64__)
    const rp_features f = rp_cpu_features();
    if (f.avx512 || f.avx2) {
        (f.avx512 ? layer_norm_quantize_avx512 : layer_norm_quantize_avx2)(
            x, rows, k, gamma, beta, epsilon, qmax, encoding, outlier_columns, outlier_count,
            scratch, values, lda, scales, zero_points, outliers);
        return;
    }
#endif
    layer_norm_quantize_scalar(x, rows, k, gamma, beta, epsilon, qmax, encoding, outlier_columns,
                               outlier_count, scratch, values, lda, scales, zero_points,
                               outliers);
}

// MARK: - epilogue

/// Dequantizes one row of a tile (`acc`, `cols` ≤ 32 values) and finishes it.
RP_INLINE void epilogue_row(const int32_t *acc, size_t r, size_t n0, size_t cols,
                            const clipkit_quantized_rows *a, const clipkit_int8_weights *w,
                            const float *bias, int activation, int accumulate, float *c,
                            size_t ldc) {
    float v[RP_TILE_N];
    const float sa = a->scales[r];
    const int32_t za = a->zero_points[r];
    const float *sw = w->scales + n0;
    const int32_t *sums = w->sums + n0;
    for (size_t j = 0; j < cols; j++) v[j] = sa * sw[j] * (float)(acc[j] - za * sums[j]);
    const size_t count = w->outlier_count;
    if (count) {
        const float *xo = a->outliers + r * count;
        const float *ow = w->outlier_weights + rp_outlier_index(n0, 0, count);
        for (size_t o = 0; o < count; o++) {
            const float x = xo[o];
            for (size_t j = 0; j < cols; j++) v[j] += x * ow[o * RP_TILE_N + j];
        }
    }
    rp_finish_row(v, cols, bias ? bias + n0 : NULL, activation, accumulate, c + r * ldc + n0);
}

/// Rows per cache block: about 256 KB of activation rows of `row_bytes` each, a multiple of 8.
RP_INLINE size_t row_block(size_t row_bytes) {
    size_t rows = (256 * 1024 / (row_bytes ? row_bytes : 1)) & ~(size_t)7;
    return rows < 8 ? 8 : (rows > 512 ? 512 : rows);
}

// MARK: - scalar

static void gemm_scalar(const clipkit_quantized_rows *a, size_t m, const clipkit_int8_weights *w,
                        size_t n_begin, size_t n_end, const float *bias, int activation,
                        int accumulate, float *c, size_t ldc) {
    const size_t groups = clipkit_int8_padded_k(w->k) / 4;
    int32_t acc[RP_TILE_N];
    for (size_t n0 = n_begin; n0 < n_end; n0 += RP_TILE_N) {
        const size_t cols = n_end - n0 < RP_TILE_N ? n_end - n0 : RP_TILE_N;
        for (size_t r = 0; r < m; r++) {
            const void *row = (const uint8_t *)a->values + r * a->lda;
            for (size_t j = 0; j < cols; j++) {
                const size_t n = n0 + j;
                const int8_t *wp = w->packed + packed_offset(n, 0, groups);
                int32_t s = 0;
                for (size_t g = 0; g < groups; g++)
                    for (size_t b = 0; b < 4; b++)
                        s += rp_value(row, a->encoding, 4 * g + b) * wp[64 * g + b];
                acc[j] = s;
            }
            epilogue_row(acc, r, n0, cols, a, w, bias, activation, accumulate, c, ldc);
        }
    }
}

#if defined(__x86_64__)

// MARK: - AVX2

/// R ≤ 6 rows × 8 columns (half of a 16-column panel; `wp` points at its first group) over
/// all of k, into `tile` (rows RP_TILE_N apart).
///
/// Why 16-bit activations: AVX2 has no exact u8 · s8 multiply-add. vpmaddubsw sums two
/// products into a saturating int16, so 8-bit activations against 8-bit weights could
/// overflow (2 · 255 · 127 > 32767), and the earlier kernel gave up a bit of the activations
/// (7 bits) or of the weights to stay exact: ViT-B/32 with outlier channels kept a cosine of only
/// 0.995 to fp32. vpmaddwd multiplies s16 pairs into int32 exactly and retires as many
/// multiply-adds per cycle as the vpmaddubsw + vpmaddwd pair it replaces (16 per instruction
/// against 32 per two), so the activations get 12 bits at the same arithmetic cost; the price
/// is the weight widening (two vpmovsxbw per group, shared by the 6 rows) and activation rows
/// twice as wide.
///
/// Each step covers 4 k: a row's 4 u16 activations broadcast to every 64-bit lane, 4 columns'
/// 4 s8 weights widened to s16 per register, and vpmaddwd leaves column j's k0 + k1 products in
/// int32 lane 2j and its k2 + k3 products in lane 2j + 1; one vphaddd per row joins them at the
/// end.
RP_AVX2 RP_INLINE void tile_avx2(const int R, const uint16_t *a, size_t lda, const int8_t *wp,
                                 size_t groups, int32_t *tile) {
    __m256i acc0[6], acc1[6];  // columns 0-3 and 4-7 of each row, as pairs of partial sums
    for (int i = 0; i < R; i++) acc0[i] = acc1[i] = _mm256_setzero_si256();
    for (size_t g = 0; g < groups; g++) {
        const __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(wp + 64 * g)));
        const __m256i w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(wp + 64 * g + 16)));
        for (int i = 0; i < R; i++) {
            int64_t x;
            memcpy(&x, a + i * lda + 4 * g, 8);
            const __m256i av = _mm256_set1_epi64x(x);
            acc0[i] = _mm256_add_epi32(acc0[i], _mm256_madd_epi16(av, w0));
            acc1[i] = _mm256_add_epi32(acc1[i], _mm256_madd_epi16(av, w1));
        }
    }
    for (int i = 0; i < R; i++) {
        // vphaddd works within 128-bit lanes (columns 0 1 4 5 | 2 3 6 7); the permute orders them.
        const __m256i sums = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc0[i], acc1[i]), 0xD8);
        _mm256_storeu_si256((__m256i *)(tile + i * RP_TILE_N), sums);
    }
}

RP_AVX2 static void gemm_avx2(const clipkit_quantized_rows *a, size_t m,
                              const clipkit_int8_weights *w, size_t n_begin, size_t n_end,
                              const float *bias, int activation, int accumulate, float *c,
                              size_t ldc) {
    const size_t kp = clipkit_int8_padded_k(w->k), groups = kp / 4, block = row_block(2 * kp);
    const size_t lda = a->lda / 2;  // in values
    int32_t tile[6 * RP_TILE_N];
    for (size_t m0 = 0; m0 < m; m0 += block) {
        const size_t m_end = m - m0 < block ? m : m0 + block;
        for (size_t n0 = n_begin; n0 < n_end; n0 += RP_TILE_N) {
            const size_t cols = n_end - n0 < RP_TILE_N ? n_end - n0 : RP_TILE_N;
            const int8_t *w0 = w->packed + (n0 / 16) * groups * 64;
            for (size_t r0 = m0; r0 < m_end; r0 += 6) {
                const size_t rows = m_end - r0 < 6 ? m_end - r0 : 6;
                const uint16_t *ar = (const uint16_t *)a->values + r0 * lda;
                // Four 8-column quarters: panel q / 2, half q % 2 of its 64-byte groups.
                for (size_t q = 0; q < 4 && 8 * q < cols; q++) {
                    const int8_t *wp = w0 + (q / 2) * groups * 64 + (q % 2) * 32;
                    int32_t *t = tile + 8 * q;
                    switch (rows) {
                    case 6: tile_avx2(6, ar, lda, wp, groups, t); break;
                    case 5: tile_avx2(5, ar, lda, wp, groups, t); break;
                    case 4: tile_avx2(4, ar, lda, wp, groups, t); break;
                    case 3: tile_avx2(3, ar, lda, wp, groups, t); break;
                    case 2: tile_avx2(2, ar, lda, wp, groups, t); break;
                    default: tile_avx2(1, ar, lda, wp, groups, t); break;
                    }
                }
                for (size_t i = 0; i < rows; i++)
                    epilogue_row(tile + i * RP_TILE_N, r0 + i, n0, cols, a, w, bias, activation,
                                 accumulate, c, ldc);
            }
        }
    }
}

// MARK: - AVX512-VNNI

/// exp of 16 floats: clipkit_fast_expf's arithmetic, lane by lane.
RP_VNNI RP_INLINE __m512 fast_exp_avx512(__m512 x) {
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(88.0f));
    const __m512 n = _mm512_roundscale_ps(
        _mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504088896341f), _mm512_set1_ps(0.5f)),
        _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
    const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
}

/// The epilogue of 16 columns of one row, in registers: dequantize, fp32 outlier columns, bias,
/// quick_gelu, store or add. `m` masks the columns that exist.
RP_VNNI RP_INLINE void epilogue_vnni(__m512i acc, __mmask16 m, size_t r, size_t n0,
                                     const clipkit_quantized_rows *a, const clipkit_int8_weights *w,
                                     const float *bias, int activation, int accumulate, float *out) {
    const __m512i corrected = _mm512_sub_epi32(
        acc, _mm512_mullo_epi32(_mm512_set1_epi32(a->zero_points[r]), _mm512_maskz_loadu_epi32(m, w->sums + n0)));
    const __m512 scale = _mm512_mul_ps(_mm512_set1_ps(a->scales[r]), _mm512_maskz_loadu_ps(m, w->scales + n0));
    __m512 v = _mm512_mul_ps(scale, _mm512_cvtepi32_ps(corrected));
    const size_t count = w->outlier_count;
    if (count) {
        const float *xo = a->outliers + r * count;
        const float *ow = w->outlier_weights + rp_outlier_index(n0, 0, count);
        for (size_t o = 0; o < count; o++)
            v = _mm512_fmadd_ps(_mm512_set1_ps(xo[o]), _mm512_loadu_ps(ow + o * RP_TILE_N), v);
    }
    if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias + n0));
    if (activation == CLIPKIT_ACTIVATION_QUICK_GELU) {
        v = _mm512_div_ps(v, _mm512_add_ps(_mm512_set1_ps(1.0f),
                                           fast_exp_avx512(_mm512_mul_ps(v, _mm512_set1_ps(-1.702f)))));
    } else if (activation == CLIPKIT_ACTIVATION_GELU_TANH) {
        // clipkit_gelu_tanh (fast_exp.h), 16 lanes at a time.
        const __m512 cube = _mm512_mul_ps(_mm512_mul_ps(v, v), v);
        const __m512 inner = _mm512_mul_ps(_mm512_set1_ps(0.7978845608028654f),
                                           _mm512_fmadd_ps(_mm512_set1_ps(0.044715f), cube, v));
        v = _mm512_div_ps(v, _mm512_add_ps(_mm512_set1_ps(1.0f),
                                           fast_exp_avx512(_mm512_mul_ps(inner, _mm512_set1_ps(-2.0f)))));
    }
    if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, out + n0));
    _mm512_mask_storeu_ps(out + n0, m, v);
}

/// Adds one u8 plane times the weights to R rows × 32 columns of sums: per group of 4 k, one
/// vpdpbusd per row and panel. Row i's 4 bytes of group g are at `plane + i · lda + stride · g`.
RP_VNNI RP_INLINE void vnni_plane(const int R, const uint8_t *plane, size_t lda, size_t stride,
                                  const int8_t *w0, const int8_t *w1, size_t groups,
                                  __m512i *acc0, __m512i *acc1) {
    for (size_t g = 0; g < groups; g++) {
        const __m512i b0 = _mm512_loadu_si512(w0 + 64 * g);
        const __m512i b1 = _mm512_loadu_si512(w1 + 64 * g);
        for (int i = 0; i < R; i++) {
            int32_t x;
            memcpy(&x, plane + i * lda + stride * g, 4);
            const __m512i av = _mm512_set1_epi32(x);
            acc0[i] = _mm512_dpbusd_epi32(acc0[i], av, b0);
            acc1[i] = _mm512_dpbusd_epi32(acc1[i], av, b1);
        }
    }
}

/// R rows × 32 columns (two panels) over all of k, then the epilogue straight from the
/// accumulators (the erf GELU goes through memory).
///
/// vpdpbusd multiplies u8 activations only. u8 rows take one pass. Split u16 rows (12-bit
/// activations, clipkit_int8_activation_bits) take two over the same sums: the high bytes,
/// a shift left by 8, then the low bytes, so the sums are Σ (256 · high + low) · w exactly
/// (|Σ| ≤ k · 4095 · 127 < 2^31 by clipkit_int8_activation_max) in twice the instructions of
/// 8 bits, with the 16 accumulators of the 8-row tile unchanged.
RP_VNNI RP_INLINE void tile_vnni(const int R, size_t r0, size_t n0, size_t cols,
                                 const clipkit_quantized_rows *a, const clipkit_int8_weights *w,
                                 const int8_t *w0, const int8_t *w1, size_t groups,
                                 const float *bias, int activation, int accumulate, float *c,
                                 size_t ldc) {
    const uint8_t *ar = (const uint8_t *)a->values + r0 * a->lda;
    const size_t lda = a->lda;
    __m512i acc0[8], acc1[8];
    for (int i = 0; i < R; i++) acc0[i] = acc1[i] = _mm512_setzero_si512();
    if (a->encoding == CLIPKIT_INT8_VALUES_U16_SPLIT) {
        vnni_plane(R, ar + 4, lda, 8, w0, w1, groups, acc0, acc1);
        for (int i = 0; i < R; i++) {
            acc0[i] = _mm512_slli_epi32(acc0[i], 8);
            acc1[i] = _mm512_slli_epi32(acc1[i], 8);
        }
        vnni_plane(R, ar, lda, 8, w0, w1, groups, acc0, acc1);
    } else {
        vnni_plane(R, ar, lda, 4, w0, w1, groups, acc0, acc1);
    }
    if (activation == CLIPKIT_ACTIVATION_GELU) {
        int32_t tile[8 * RP_TILE_N];
        for (int i = 0; i < R; i++) {
            _mm512_storeu_si512(tile + i * RP_TILE_N, acc0[i]);
            _mm512_storeu_si512(tile + i * RP_TILE_N + 16, acc1[i]);
            epilogue_row(tile + i * RP_TILE_N, r0 + i, n0, cols, a, w, bias, activation,
                         accumulate, c, ldc);
        }
        return;
    }
    const __mmask16 m0 = cols >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1);
    const __mmask16 m1 = cols >= 32 ? (__mmask16)0xFFFF
                                    : (cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0);
    for (int i = 0; i < R; i++) {
        float *out = c + (r0 + i) * ldc;
        epilogue_vnni(acc0[i], m0, r0 + i, n0, a, w, bias, activation, accumulate, out);
        if (m1) epilogue_vnni(acc1[i], m1, r0 + i, n0 + 16, a, w, bias, activation, accumulate, out);
    }
}

RP_VNNI static void gemm_vnni(const clipkit_quantized_rows *a, size_t m,
                              const clipkit_int8_weights *w, size_t n_begin, size_t n_end,
                              const float *bias, int activation, int accumulate, float *c,
                              size_t ldc) {
    const size_t kp = clipkit_int8_padded_k(w->k), groups = kp / 4;
    const size_t block = row_block(kp * clipkit_int8_value_bytes(a->encoding));
    for (size_t m0 = 0; m0 < m; m0 += block) {
        const size_t m_end = m - m0 < block ? m : m0 + block;
        for (size_t n0 = n_begin; n0 < n_end; n0 += RP_TILE_N) {
            const size_t cols = n_end - n0 < RP_TILE_N ? n_end - n0 : RP_TILE_N;
            const int8_t *w0 = w->packed + (n0 / 16) * groups * 64;
            const int8_t *w1 = w0 + groups * 64;
            for (size_t r0 = m0; r0 < m_end; r0 += 8) {
                const size_t rows = m_end - r0 < 8 ? m_end - r0 : 8;
#define RP_TILE_VNNI(R) tile_vnni(R, r0, n0, cols, a, w, w0, w1, groups, bias, activation, accumulate, c, ldc)
                switch (rows) {
                case 8: RP_TILE_VNNI(8); break;
                case 7: RP_TILE_VNNI(7); break;
                case 6: RP_TILE_VNNI(6); break;
                case 5: RP_TILE_VNNI(5); break;
                case 4: RP_TILE_VNNI(4); break;
                case 3: RP_TILE_VNNI(3); break;
                case 2: RP_TILE_VNNI(2); break;
                default: RP_TILE_VNNI(1); break;
                }
#undef RP_TILE_VNNI
            }
        }
    }
}
#endif

void clipkit_int8_gemm(int variant, const clipkit_quantized_rows *a, size_t m,
                       const clipkit_int8_weights *w, size_t n_begin, size_t n_end,
                       const float *bias, int activation, int accumulate, float *c, size_t ldc) {
    // The scalar kernel reads every encoding.
    if (!clipkit_int8_supported(variant) || !clipkit_int8_reads_encoding(variant, a->encoding))
        variant = CLIPKIT_INT8_SCALAR;
    switch (variant) {
#if defined(__x86_64__)
    case CLIPKIT_INT8_VNNI:
        gemm_vnni(a, m, w, n_begin, n_end, bias, activation, accumulate, c, ldc);
        return;
    case CLIPKIT_INT8_AVX2:
        gemm_avx2(a, m, w, n_begin, n_end, bias, activation, accumulate, c, ldc);
        return;
#endif
    default:
        gemm_scalar(a, m, w, n_begin, n_end, bias, activation, accumulate, c, ldc);
        return;
    }
}

void clipkit_int8_gemm_reference(const clipkit_quantized_rows *a, size_t m, const int8_t *wq,
                                 const float *w_scales, size_t n, size_t k, const float *bias,
                                 int activation, int accumulate, float *c, size_t ldc) {
    for (size_t r = 0; r < m; r++) {
        const void *row = (const uint8_t *)a->values + r * a->lda;
        for (size_t n0 = 0; n0 < n; n0 += RP_TILE_N) {
            const size_t cols = n - n0 < RP_TILE_N ? n - n0 : RP_TILE_N;
            float v[RP_TILE_N];
            for (size_t j = 0; j < cols; j++) {
                int32_t s = 0;
                for (size_t i = 0; i < k; i++)
                    s += (rp_value(row, a->encoding, i) - a->zero_points[r]) * wq[(n0 + j) * k + i];
                v[j] = a->scales[r] * w_scales[n0 + j] * (float)s;
            }
            rp_finish_row(v, cols, bias ? bias + n0 : NULL, activation, accumulate,
                          c + r * ldc + n0);
        }
    }
}
