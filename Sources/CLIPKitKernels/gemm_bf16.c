// bf16-weight matrix products of the encoder layers (see CLIPKitReducedPrecision.h).
//
// Why C: vdpbf16ps and the AVX-512 / AVX2 widening loops need intrinsics compiled per target
// and chosen at run time.
//
// Weights are stored as bf16 (half the memory of fp32), packed so that one 16-column × 2-k
// group is one 64-byte register: each 32-bit lane holds (w[n][k], w[n][k+1]). Products
// accumulate in fp32. With AVX512-BF16, vdpbf16ps multiplies such lanes with a broadcast pair of
// bf16 activations (rounded once per product input). Without it, the lanes are widened on the
// fly: `lane << 16` is w[n][k] as fp32 and `lane & 0xffff0000` is w[n][k+1], two instructions,
// then ordinary FMAs with fp32 activations (no activation rounding at all).
//
// Input columns with outlier magnitudes (the int8 layers' ones, found at load from the layer
// norm's scale and shift) have zero bf16 weights; the epilogue adds their products in fp32, from
// fp32 weights and fp32 activations. A ×50 channel's bf16-rounded weights (and, for vdpbf16ps,
// its rounded activations) would otherwise carry most of a layer's error.
#include "reduced_precision_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#pragma clang fp reassociate(on) contract(fast)

size_t clipkit_bf16_padded_k(size_t k) { return rp_round_up(k, 2); }

size_t clipkit_bf16_packed_count(size_t n, size_t k) {
    return clipkit_padded_n(n) * clipkit_bf16_padded_k(k);
}


RP_INLINE float bf16_to_float(uint16_t h) {
    const uint32_t bits = (uint32_t)h << 16;
    float x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

RP_INLINE size_t packed_index(size_t n, size_t k, size_t groups) {
    return ((n / 16) * groups + k / 2) * 32 + (n % 16) * 2 + k % 2;
}

/// Zeroes the 16-row panels rows [row_begin, row_end) fill (and the padding panels after the
/// last row).
static void bf16_clear_panels(size_t n, size_t k, size_t row_begin, size_t row_end, uint16_t *packed) {
    const size_t groups = clipkit_bf16_padded_k(k) / 2;
    const size_t panel_end = row_end == n ? clipkit_padded_n(n) / 16 : (row_end + 15) / 16;
    memset(packed + (row_begin / 16) * groups * 32, 0, (panel_end - row_begin / 16) * groups * 32 * sizeof(uint16_t));
}

RP_INLINE uint16_t bf16_round(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40);  // quiet NaN
    bits += 0x7fffu + ((bits >> 16) & 1);
    return (uint16_t)(bits >> 16);
}

uint16_t clipkit_bf16_from_float(float x) { return bf16_round(x); }

/// Rounds and packs rows [row_begin, row_end): one pair (w[n][k], w[n][k+1]) per 32-bit lane.
RP_INLINE void bf16_pack_f32_rows(const float *w, size_t k, size_t row_begin, size_t row_end,
                                  uint16_t *packed) {
    const size_t groups = clipkit_bf16_padded_k(k) / 2;
    for (size_t row = row_begin; row < row_end; row++)
        for (size_t col = 0; col < k; col++)
            packed[packed_index(row, col, groups)] = bf16_round(w[row * k + col]);
}

/// Zeroes the packed weights of input columns `skip` (those below k) in rows [row_begin, row_end).
static void bf16_clear_columns(size_t k, const int32_t *skip, size_t skip_count, size_t row_begin,
                               size_t row_end, uint16_t *packed) {
    const size_t groups = clipkit_bf16_padded_k(k) / 2;
    for (size_t j = 0; j < skip_count; j++) {
        if (skip[j] < 0 || (size_t)skip[j] >= k) continue;
        for (size_t row = row_begin; row < row_end; row++)
            packed[packed_index(row, (size_t)skip[j], groups)] = 0;
    }
}

static void bf16_pack_f32_rows_baseline(const float *w, size_t k, size_t row_begin,
                                        size_t row_end, uint16_t *packed) {
    bf16_pack_f32_rows(w, k, row_begin, row_end, packed);
}

#if defined(__x86_64__)
/// The same loop compiled for AVX2, where the rounding vectorises (bit-identical).
RP_AVX2 static void bf16_pack_f32_rows_avx2(const float *w, size_t k, size_t row_begin,
                                            size_t row_end, uint16_t *packed) {
    bf16_pack_f32_rows(w, k, row_begin, row_end, packed);
}
#endif

void clipkit_bf16_pack_f32_rows(const float *w, size_t n, size_t k, const int32_t *skip,
                                size_t skip_count, size_t row_begin, size_t row_end,
                                uint16_t *packed) {
    if (row_begin >= row_end || row_begin % 16 != 0 || row_end > n) return;
    bf16_clear_panels(n, k, row_begin, row_end, packed);
#if defined(__x86_64__)
    if (rp_cpu_features().avx2)
        bf16_pack_f32_rows_avx2(w, k, row_begin, row_end, packed);
    else
#endif
        bf16_pack_f32_rows_baseline(w, k, row_begin, row_end, packed);
    bf16_clear_columns(k, skip, skip_count, row_begin, row_end, packed);
}

void clipkit_bf16_pack_raw_rows(const uint16_t *w, size_t n, size_t k, const int32_t *skip,
                                size_t skip_count, size_t row_begin, size_t row_end,
                                uint16_t *packed) {
    if (row_begin >= row_end || row_begin % 16 != 0 || row_end > n) return;
    const size_t groups = clipkit_bf16_padded_k(k) / 2;
    bf16_clear_panels(n, k, row_begin, row_end, packed);
    for (size_t row = row_begin; row < row_end; row++)
        for (size_t col = 0; col < k; col++) {
            uint16_t v;
            memcpy(&v, w + row * k + col, sizeof v);  // the source may be unaligned
            packed[packed_index(row, col, groups)] = v;
        }
    bf16_clear_columns(k, skip, skip_count, row_begin, row_end, packed);
}

void clipkit_bf16_pack_f32(const float *w, size_t n, size_t k, const int32_t *skip,
                           size_t skip_count, uint16_t *packed) {
    clipkit_bf16_pack_f32_rows(w, n, k, skip, skip_count, 0, n, packed);
}

void clipkit_bf16_pack_raw(const uint16_t *w, size_t n, size_t k, const int32_t *skip,
                           size_t skip_count, uint16_t *packed) {
    clipkit_bf16_pack_raw_rows(w, n, k, skip, skip_count, 0, n, packed);
}

void clipkit_pack_outlier_columns_bf16(const uint16_t *w, size_t n, size_t k,
                                       const int32_t *columns, size_t count, float *out) {
    const size_t np = clipkit_padded_n(n);
    memset(out, 0, np * count * sizeof(float));
    for (size_t row = 0; row < n; row++)
        for (size_t j = 0; j < count; j++) {
            uint16_t v;
            memcpy(&v, w + row * k + (size_t)columns[j], sizeof v);  // the source may be unaligned
            out[rp_outlier_index(row, j, count)] = bf16_to_float(v);
        }
}

void clipkit_bf16_convert_rows(const float *x, size_t rows, size_t k, size_t ldx, uint16_t *out,
                               size_t ld) {
    const size_t kp = clipkit_bf16_padded_k(k);
    for (size_t r = 0; r < rows; r++) {
        for (size_t i = 0; i < k; i++) out[r * ld + i] = clipkit_bf16_from_float(x[r * ldx + i]);
        for (size_t i = k; i < kp; i++) out[r * ld + i] = 0;
    }
}

/// What the epilogue needs besides the tile: the fp32 rows (outlier columns), the weights, bias,
/// activation and output. Kept in memory and handed to each variant's out-of-line
/// `finish_tile_*` by address, so none of it holds a register across the tile loops: passed as
/// separate values (one more than before, the weights) they made the AVX2 4-row loop reload
/// its row pointers from the stack, 13 loads per 16 FMAs instead of 6.
typedef struct {
    const float *a;
    size_t lda;
    const clipkit_bf16_weights *w;
    const float *bias;
    int activation, accumulate;
    float *c;
    size_t ldc;
} bf16_epilogue;

/// Finishes a tile of `rows` × `cols` fp32 sums (rows RP_TILE_N apart) of rows r0... of `e->a`
/// and columns n0...: adds the fp32 outlier columns' products, then bias, activation and store.
RP_INLINE void finish_tile(float *tile, size_t rows, size_t r0, size_t n0, size_t cols,
                           const bf16_epilogue *e) {
    const clipkit_bf16_weights *w = e->w;
    const size_t count = w->outlier_count;
    const float *ow = count ? w->outlier_weights + rp_outlier_index(n0, 0, count) : NULL;
    for (size_t i = 0; i < rows; i++) {
        float *v = tile + i * RP_TILE_N;
        for (size_t o = 0; o < count; o++) {
            const float x = e->a[(r0 + i) * e->lda + (size_t)w->outlier_columns[o]];
            for (size_t j = 0; j < cols; j++) v[j] += x * ow[o * RP_TILE_N + j];
        }
        rp_finish_row(v, cols, e->bias ? e->bias + n0 : NULL, e->activation, e->accumulate,
                      e->c + (r0 + i) * e->ldc + n0);
    }
}

/// Rows per cache block: about 512 KB of fp32 activations, a multiple of 8.
RP_INLINE size_t row_block(size_t k) {
    size_t rows = (128 * 1024 / (k ? k : 1)) & ~(size_t)7;
    return rows < 8 ? 8 : (rows > 512 ? 512 : rows);
}

// MARK: - scalar

static void gemm_scalar(const float *a, size_t lda, size_t m, const clipkit_bf16_weights *w,
                        size_t n_begin, size_t n_end, const float *bias, int activation,
                        int accumulate, float *c, size_t ldc) {
    const uint16_t *packed = w->packed;
    const size_t k = w->k;
    const size_t groups = clipkit_bf16_padded_k(k) / 2;
    const bf16_epilogue e = {a, lda, w, bias, activation, accumulate, c, ldc};
    float tile[RP_TILE_N];
    for (size_t n0 = n_begin; n0 < n_end; n0 += RP_TILE_N) {
        const size_t cols = n_end - n0 < RP_TILE_N ? n_end - n0 : RP_TILE_N;
        for (size_t r = 0; r < m; r++) {
            for (size_t j = 0; j < cols; j++) {
                float s = 0;
                for (size_t i = 0; i < k; i++)
                    s += a[r * lda + i] * bf16_to_float(packed[packed_index(n0 + j, i, groups)]);
                tile[j] = s;
            }
            finish_tile(tile, 1, r, n0, cols, &e);
        }
    }
}

#if defined(__x86_64__)

// MARK: - AVX2 (widen)

RP_AVX2 RP_INLINE void tile_avx2(const int R, const float *a, size_t lda, const uint16_t *wp,
                                 size_t k, float *tile) {
    __m256 acc0[4], acc1[4];
    const __m256i high = _mm256_set1_epi32((int32_t)0xffff0000u);
    for (int i = 0; i < R; i++) acc0[i] = acc1[i] = _mm256_setzero_ps();
    const size_t pairs = k / 2;
    for (size_t g = 0; g < pairs; g++) {
        const __m256i p0 = _mm256_loadu_si256((const __m256i *)(wp + 32 * g));
        const __m256i p1 = _mm256_loadu_si256((const __m256i *)(wp + 32 * g + 16));
        const __m256 e0 = _mm256_castsi256_ps(_mm256_slli_epi32(p0, 16));
        const __m256 o0 = _mm256_castsi256_ps(_mm256_and_si256(p0, high));
        const __m256 e1 = _mm256_castsi256_ps(_mm256_slli_epi32(p1, 16));
        const __m256 o1 = _mm256_castsi256_ps(_mm256_and_si256(p1, high));
        for (int i = 0; i < R; i++) {
            const __m256 x0 = _mm256_broadcast_ss(a + i * lda + 2 * g);
            const __m256 x1 = _mm256_broadcast_ss(a + i * lda + 2 * g + 1);
            acc0[i] = _mm256_fmadd_ps(x0, e0, acc0[i]);
            acc1[i] = _mm256_fmadd_ps(x0, e1, acc1[i]);
            acc0[i] = _mm256_fmadd_ps(x1, o0, acc0[i]);
            acc1[i] = _mm256_fmadd_ps(x1, o1, acc1[i]);
        }
    }
    if (k & 1) {  // last k alone (its partner is padding): never read a[k]
        const __m256i p0 = _mm256_loadu_si256((const __m256i *)(wp + 32 * pairs));
        const __m256i p1 = _mm256_loadu_si256((const __m256i *)(wp + 32 * pairs + 16));
        const __m256 e0 = _mm256_castsi256_ps(_mm256_slli_epi32(p0, 16));
        const __m256 e1 = _mm256_castsi256_ps(_mm256_slli_epi32(p1, 16));
        for (int i = 0; i < R; i++) {
            const __m256 x0 = _mm256_broadcast_ss(a + i * lda + 2 * pairs);
            acc0[i] = _mm256_fmadd_ps(x0, e0, acc0[i]);
            acc1[i] = _mm256_fmadd_ps(x0, e1, acc1[i]);
        }
    }
    for (int i = 0; i < R; i++) {
        _mm256_storeu_ps(tile + i * RP_TILE_N, acc0[i]);
        _mm256_storeu_ps(tile + i * RP_TILE_N + 8, acc1[i]);
    }
}

RP_AVX2 RP_NOINLINE static void finish_tile_avx2(float *tile, size_t rows, size_t r0, size_t n0,
                                                 size_t cols, const bf16_epilogue *e) {
    finish_tile(tile, rows, r0, n0, cols, e);
}

RP_AVX2 static void gemm_avx2(const float *a, size_t lda, size_t m, const clipkit_bf16_weights *w,
                              size_t n_begin, size_t n_end, const float *bias, int activation,
                              int accumulate, float *c, size_t ldc) {
    const uint16_t *packed = w->packed;
    const size_t k = w->k;
    const size_t groups = clipkit_bf16_padded_k(k) / 2, block = row_block(k);
    const bf16_epilogue e = {a, lda, w, bias, activation, accumulate, c, ldc};
    float tile[4 * RP_TILE_N];
    for (size_t m0 = 0; m0 < m; m0 += block) {
        const size_t m_end = m - m0 < block ? m : m0 + block;
        for (size_t n0 = n_begin; n0 < n_end; n0 += RP_TILE_N) {
            const size_t cols = n_end - n0 < RP_TILE_N ? n_end - n0 : RP_TILE_N;
            const uint16_t *w0 = packed + (n0 / 16) * groups * 32;
            for (size_t r0 = m0; r0 < m_end; r0 += 4) {
                const size_t rows = m_end - r0 < 4 ? m_end - r0 : 4;
                const float *ar = a + r0 * lda;
                for (size_t half = 0; half < 2 && 16 * half < cols; half++) {
                    const uint16_t *wp = w0 + half * groups * 32;
                    float *t = tile + 16 * half;
                    switch (rows) {
                    case 4: tile_avx2(4, ar, lda, wp, k, t); break;
                    case 3: tile_avx2(3, ar, lda, wp, k, t); break;
                    case 2: tile_avx2(2, ar, lda, wp, k, t); break;
                    default: tile_avx2(1, ar, lda, wp, k, t); break;
                    }
                }
                finish_tile_avx2(tile, rows, r0, n0, cols, &e);
            }
        }
    }
}

// MARK: - AVX-512F (widen)

RP_AVX512 RP_INLINE void tile_avx512(const int R, const float *a, size_t lda, const uint16_t *w0,
                                     const uint16_t *w1, size_t k, float *tile) {
    __m512 acc0[8], acc1[8];
    const __m512i high = _mm512_set1_epi32((int32_t)0xffff0000u);
    for (int i = 0; i < R; i++) acc0[i] = acc1[i] = _mm512_setzero_ps();
    const size_t pairs = k / 2;
    for (size_t g = 0; g < pairs; g++) {
        const __m512i p0 = _mm512_loadu_si512(w0 + 32 * g);
        const __m512i p1 = _mm512_loadu_si512(w1 + 32 * g);
        const __m512 e0 = _mm512_castsi512_ps(_mm512_slli_epi32(p0, 16));
        const __m512 o0 = _mm512_castsi512_ps(_mm512_and_si512(p0, high));
        const __m512 e1 = _mm512_castsi512_ps(_mm512_slli_epi32(p1, 16));
        const __m512 o1 = _mm512_castsi512_ps(_mm512_and_si512(p1, high));
        for (int i = 0; i < R; i++) {
            const __m512 x0 = _mm512_set1_ps(a[i * lda + 2 * g]);
            const __m512 x1 = _mm512_set1_ps(a[i * lda + 2 * g + 1]);
            acc0[i] = _mm512_fmadd_ps(x0, e0, acc0[i]);
            acc1[i] = _mm512_fmadd_ps(x0, e1, acc1[i]);
            acc0[i] = _mm512_fmadd_ps(x1, o0, acc0[i]);
            acc1[i] = _mm512_fmadd_ps(x1, o1, acc1[i]);
        }
    }
    if (k & 1) {
        const __m512 e0 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_loadu_si512(w0 + 32 * pairs), 16));
        const __m512 e1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_loadu_si512(w1 + 32 * pairs), 16));
        for (int i = 0; i < R; i++) {
            const __m512 x0 = _mm512_set1_ps(a[i * lda + 2 * pairs]);
            acc0[i] = _mm512_fmadd_ps(x0, e0, acc0[i]);
            acc1[i] = _mm512_fmadd_ps(x0, e1, acc1[i]);
        }
    }
    for (int i = 0; i < R; i++) {
        _mm512_storeu_ps(tile + i * RP_TILE_N, acc0[i]);
        _mm512_storeu_ps(tile + i * RP_TILE_N + 16, acc1[i]);
    }
}

RP_AVX512 RP_NOINLINE static void finish_tile_avx512(float *tile, size_t rows, size_t r0,
                                                     size_t n0, size_t cols, const bf16_epilogue *e) {
    finish_tile(tile, rows, r0, n0, cols, e);
}

RP_AVX512 static void gemm_avx512(const float *a, size_t lda, size_t m,
                                  const clipkit_bf16_weights *w, size_t n_begin, size_t n_end,
                                  const float *bias, int activation, int accumulate, float *c,
                                  size_t ldc) {
    const uint16_t *packed = w->packed;
    const size_t k = w->k;
    const size_t groups = clipkit_bf16_padded_k(k) / 2, block = row_block(k);
    const bf16_epilogue e = {a, lda, w, bias, activation, accumulate, c, ldc};
    float tile[8 * RP_TILE_N];
    for (size_t m0 = 0; m0 < m; m0 += block) {
        const size_t m_end = m - m0 < block ? m : m0 + block;
        for (size_t n0 = n_begin; n0 < n_end; n0 += RP_TILE_N) {
            const size_t cols = n_end - n0 < RP_TILE_N ? n_end - n0 : RP_TILE_N;
            const uint16_t *w0 = packed + (n0 / 16) * groups * 32;
            const uint16_t *w1 = w0 + groups * 32;
            for (size_t r0 = m0; r0 < m_end; r0 += 8) {
                const size_t rows = m_end - r0 < 8 ? m_end - r0 : 8;
                const float *ar = a + r0 * lda;
                switch (rows) {
                case 8: tile_avx512(8, ar, lda, w0, w1, k, tile); break;
                case 7: tile_avx512(7, ar, lda, w0, w1, k, tile); break;
                case 6: tile_avx512(6, ar, lda, w0, w1, k, tile); break;
                case 5: tile_avx512(5, ar, lda, w0, w1, k, tile); break;
                case 4: tile_avx512(4, ar, lda, w0, w1, k, tile); break;
                case 3: tile_avx512(3, ar, lda, w0, w1, k, tile); break;
                case 2: tile_avx512(2, ar, lda, w0, w1, k, tile); break;
                default: tile_avx512(1, ar, lda, w0, w1, k, tile); break;
                }
                finish_tile_avx512(tile, rows, r0, n0, cols, &e);
            }
        }
    }
}

// MARK: - AVX512-BF16

RP_AVX512BF16 RP_INLINE void tile_bf16(const int R, const uint16_t *a, size_t lda,
                                       const uint16_t *w0, const uint16_t *w1, size_t groups,
                                       float *tile) {
    __m512 acc0[8], acc1[8];
    for (int i = 0; i < R; i++) acc0[i] = acc1[i] = _mm512_setzero_ps();
    for (size_t g = 0; g < groups; g++) {
        const __m512bh b0 = (__m512bh)_mm512_loadu_si512(w0 + 32 * g);
        const __m512bh b1 = (__m512bh)_mm512_loadu_si512(w1 + 32 * g);
        for (int i = 0; i < R; i++) {
            int32_t x;
            memcpy(&x, a + i * lda + 2 * g, 4);
            const __m512bh av = (__m512bh)_mm512_set1_epi32(x);
            acc0[i] = _mm512_dpbf16_ps(acc0[i], av, b0);
            acc1[i] = _mm512_dpbf16_ps(acc1[i], av, b1);
        }
    }
    for (int i = 0; i < R; i++) {
        _mm512_storeu_ps(tile + i * RP_TILE_N, acc0[i]);
        _mm512_storeu_ps(tile + i * RP_TILE_N + 16, acc1[i]);
    }
}

RP_AVX512BF16 RP_NOINLINE static void finish_tile_bf16(float *tile, size_t rows, size_t r0,
                                                       size_t n0, size_t cols, const bf16_epilogue *e) {
    finish_tile(tile, rows, r0, n0, cols, e);
}

/// `a`: the rows rounded to bf16 (the dot products); `x`: the same in fp32 (outlier columns).
RP_AVX512BF16 static void gemm_bf16(const float *x, size_t ldx, const uint16_t *a, size_t lda,
                                    size_t m, const clipkit_bf16_weights *w, size_t n_begin,
                                    size_t n_end, const float *bias, int activation,
                                    int accumulate, float *c, size_t ldc) {
    const uint16_t *packed = w->packed;
    const size_t k = w->k;
    const size_t groups = clipkit_bf16_padded_k(k) / 2, block = 2 * row_block(k);
    const bf16_epilogue e = {x, ldx, w, bias, activation, accumulate, c, ldc};
    float tile[8 * RP_TILE_N];
    for (size_t m0 = 0; m0 < m; m0 += block) {
        const size_t m_end = m - m0 < block ? m : m0 + block;
        for (size_t n0 = n_begin; n0 < n_end; n0 += RP_TILE_N) {
            const size_t cols = n_end - n0 < RP_TILE_N ? n_end - n0 : RP_TILE_N;
            const uint16_t *w0 = packed + (n0 / 16) * groups * 32;
            const uint16_t *w1 = w0 + groups * 32;
            for (size_t r0 = m0; r0 < m_end; r0 += 8) {
                const size_t rows = m_end - r0 < 8 ? m_end - r0 : 8;
                const uint16_t *ar = a + r0 * lda;
                switch (rows) {
                case 8: tile_bf16(8, ar, lda, w0, w1, groups, tile); break;
                case 7: tile_bf16(7, ar, lda, w0, w1, groups, tile); break;
                case 6: tile_bf16(6, ar, lda, w0, w1, groups, tile); break;
                case 5: tile_bf16(5, ar, lda, w0, w1, groups, tile); break;
                case 4: tile_bf16(4, ar, lda, w0, w1, groups, tile); break;
                case 3: tile_bf16(3, ar, lda, w0, w1, groups, tile); break;
                case 2: tile_bf16(2, ar, lda, w0, w1, groups, tile); break;
                default: tile_bf16(1, ar, lda, w0, w1, groups, tile); break;
                }
                finish_tile_bf16(tile, rows, r0, n0, cols, &e);
            }
        }
    }
}
#endif

void clipkit_bf16_gemm(int variant, const float *a, size_t lda, const uint16_t *a16, size_t lda16,
                       size_t m, const clipkit_bf16_weights *w, size_t n_begin, size_t n_end,
                       const float *bias, int activation, int accumulate, float *c, size_t ldc) {
    if (!clipkit_bf16_supported(variant)) variant = CLIPKIT_BF16_SCALAR;
    switch (variant) {
#if defined(__x86_64__)
    case CLIPKIT_BF16_AVX512BF16:
        gemm_bf16(a, lda, a16, lda16, m, w, n_begin, n_end, bias, activation, accumulate, c, ldc);
        return;
    case CLIPKIT_BF16_AVX512:
        gemm_avx512(a, lda, m, w, n_begin, n_end, bias, activation, accumulate, c, ldc);
        return;
    case CLIPKIT_BF16_AVX2:
        gemm_avx2(a, lda, m, w, n_begin, n_end, bias, activation, accumulate, c, ldc);
        return;
#endif
    default:
        gemm_scalar(a, lda, m, w, n_begin, n_end, bias, activation, accumulate, c, ldc);
        return;
    }
}
