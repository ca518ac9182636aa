// fp32 matrix products with weights packed once at load (see CLIPKitReducedPrecision.h).
//
// Why C: the fp32 speed of the encoder must come from clipkit's own choice of kernel at run
// time, not from the kernel the system BLAS guesses for the CPU (Debian's OpenBLAS 0.3.21 picks
// its SSE3 "Prescott" kernel on some AVX-512 CPUs it does not know, or whatever
// OPENBLAS_CORETYPE says). The AVX-512 and AVX2 micro-kernels need intrinsics compiled per
// `target` and chosen with `__builtin_cpu_supports`, which Swift cannot do without building the
// whole package for one CPU.
//
// Layout: the weights w[n, k] are constants, so they are packed once into panels of 32 columns
// (n padded to a multiple of 32 with zero columns): panel p, step i holds w[32p ..< 32p+32][i],
// 32 contiguous floats, so the micro-kernel streams one panel with unit stride (AVX-512: 2 × 16
// lanes per step; AVX2: each 16-column half as 2 × 8 lanes). A block of activation rows is
// copied once per call into the tile's order (k steps of 12 / 6 / 4 row values), so the
// broadcasts read one contiguous stream too.
//
// Register tiles: AVX-512 12 rows × 32 columns (24 accumulators), AVX2 6 × 16 (12), scalar
// 4 × 16. Rows are taken in blocks whose activations stay in L2; inside a block every 32-column
// tile runs over all its rows, so a tile's panel is reused from cache.
//
// Batch invariance: every output element is Σ_k a[r, k] · w[n, k] accumulated in one register
// lane in increasing k, one multiply-add per k (fused in the vector variants; no reassociation
// pragma in this file), then
// bias, activation, residual. A tile with fewer rows (the edge of a block or of the batch) runs
// the same code with fewer accumulators, and edge columns compute the whole tile and store only
// the real columns, so a row's result does not depend on its position in the batch, on the
// batch size, or on how rows and columns are split among workers (for one variant).
#include "reduced_precision_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

size_t clipkit_fp32_packed_count(size_t n, size_t k) { return clipkit_padded_n(n) * k; }

void clipkit_fp32_pack(const float *w, size_t n, size_t k, float *packed) {
    clipkit_fp32_pack_panels(w, n, k, 0, clipkit_padded_n(n) / RP_TILE_N, packed);
}

void clipkit_fp32_pack_panels(const float *w, size_t n, size_t k, size_t panel_begin,
                              size_t panel_end, float *packed) {
    for (size_t p = panel_begin; p < panel_end; p++) {
        float *panel = packed + p * RP_TILE_N * k;
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < RP_TILE_N; j++) {
                const size_t row = RP_TILE_N * p + j;
                panel[i * RP_TILE_N + j] = row < n ? w[row * k + i] : 0.0f;
            }
    }
}

int clipkit_fp32_supported(int variant) {
    switch (variant) {
    case CLIPKIT_FP32_SCALAR: return 1;
    case CLIPKIT_FP32_AVX2: return clipkit_bf16_supported(CLIPKIT_BF16_AVX2);
    case CLIPKIT_FP32_AVX512: return clipkit_bf16_supported(CLIPKIT_BF16_AVX512);
    default: return 0;
    }
}

int clipkit_fp32_default_variant(void) {
    rp_features f = rp_cpu_features();
    if (f.avx512) return CLIPKIT_FP32_AVX512;
    if (f.avx2) return CLIPKIT_FP32_AVX2;
    return CLIPKIT_FP32_SCALAR;
}

/// Rows per block: a multiple of every tile height (12, 6, 4). Their partial sums for one
/// 32-column tile (FP32_BLOCK_ROWS × 32 floats, 12 KB) stay in L1 between K blocks.
#ifndef FP32_BLOCK_ROWS
#define FP32_BLOCK_ROWS 96
#endif
/// K per block: a 32-column tile's weights for one K block (FP32_BLOCK_K × 32 floats, 32 KB)
/// stay in L1 while every row of the block passes over them.
#ifndef FP32_BLOCK_K
#define FP32_BLOCK_K 256
#endif
/// How many k steps ahead the AVX-512 tile prefetches its weights (a hint: it may run past the
/// end of the panel, which is harmless).
#ifndef FP32_PREFETCH_K
#define FP32_PREFETCH_K 16
#endif

/// Bias, activation and store of a tile of `rows` × `cols` sums (rows `RP_TILE_N` apart).
RP_INLINE void fp32_finish(const float *tile, size_t rows, size_t r0, size_t n0, size_t cols,
                           const float *bias, int activation, int accumulate, float *c,
                           size_t ldc) {
    float v[RP_TILE_N];
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < RP_TILE_N; j++) v[j] = tile[i * RP_TILE_N + j];
        rp_finish_row(v, cols, bias ? bias + n0 : NULL, activation, accumulate,
                      c + (r0 + i) * ldc + n0);
    }
}

/// Rows of a block: FP32_BLOCK_ROWS, fewer for wide K so the packed rows (rows × K floats) stay
/// within about 512 KB of L2; a multiple of 12.
RP_INLINE size_t fp32_block_rows(size_t k) {
    size_t rows = 128 * 1024 / (k ? k : 1) / 12 * 12;
    return rows < 12 ? 12 : (rows > FP32_BLOCK_ROWS ? FP32_BLOCK_ROWS : rows);
}

/// Copies rows r0..<r_end of a into `out` as register-tile slabs: tile t holds k steps of MR
/// values (row-interleaved), rows past r_end as zeros (computed, never stored).
RP_INLINE void fp32_pack_rows(const float *a, size_t lda, size_t r0, size_t r_end, size_t k,
                              size_t mr, float *out) {
    const float *rows[12];
    for (size_t t0 = r0; t0 < r_end; t0 += mr) {
        const size_t count = r_end - t0 < mr ? r_end - t0 : mr;
        for (size_t i = 0; i < mr; i++) rows[i] = i < count ? a + (t0 + i) * lda : NULL;
        // Step-major with the rows inner: contiguous stores, `mr` sequential read streams
        // (a scatter-free loop; clang vectorised the row-major version with scatters).
        for (size_t p = 0; p < k; p++) {
#pragma clang loop vectorize(disable)
            for (size_t i = 0; i < mr; i++) out[p * mr + i] = rows[i] ? rows[i][p] : 0.0f;
        }
        out += k * mr;
    }
}

/// The loops shared by every variant: row blocks (packed once), 32-column tiles, K blocks,
/// register tiles of up to `MR` rows (`TILE(R, …)` with R a constant, so each height is its own
/// unrolled copy). `part` holds the block's partial sums; a K block continues from them (exact:
/// fp32 values stored and reloaded), so the summation order does not depend on the blocking.
/// `ap` holds the packed rows of one block (clipkit_fp32_scratch_count(k) floats).
#define FP32_DRIVER(NAME, ATTR, MR, TILE)                                                         \
    ATTR static void NAME(const float *a, size_t lda, size_t m, const float *packed, size_t k,    \
                          size_t n_begin, size_t n_end, const float *bias, int activation,        \
                          int accumulate, float *c, size_t ldc, float *ap) {                      \
        float part[FP32_BLOCK_ROWS * RP_TILE_N] __attribute__((aligned(64)));                     \
        const size_t block = fp32_block_rows(k);                                                  \
        for (size_t m0 = 0; m0 < m; m0 += block) {                                                \
            const size_t m_end = m - m0 < block ? m : m0 + block;                                 \
            fp32_pack_rows(a, lda, m0, m_end, k, MR, ap);                                         \
            for (size_t n0 = n_begin; n0 < n_end; n0 += RP_TILE_N) {                              \
                const size_t cols = n_end - n0 < RP_TILE_N ? n_end - n0 : RP_TILE_N;              \
                const float *w0 = packed + n0 * k, *w1 = w0 + 16;                                 \
                for (size_t k0 = 0; k0 < k; k0 += FP32_BLOCK_K) {                                 \
                    const size_t kc = k - k0 < FP32_BLOCK_K ? k - k0 : FP32_BLOCK_K;              \
                    const int first = k0 == 0;                                                    \
                    for (size_t r0 = m0; r0 < m_end; r0 += MR) {                                  \
                        const size_t rows = m_end - r0 < MR ? m_end - r0 : MR;                    \
                        const float *ar = ap + (r0 - m0) * k + k0 * MR;                           \
                        const float *b0 = w0 + RP_TILE_N * k0, *b1 = w1 + RP_TILE_N * k0;                       \
                        float *t = part + (r0 - m0) * RP_TILE_N;                                  \
                        switch (rows) {                                                           \
                        case MR: TILE(MR, ar, b0, b1, kc, t, first); break;                       \
                        case MR - 1: TILE(MR - 1, ar, b0, b1, kc, t, first); break;               \
                        case MR - 2: TILE(MR - 2, ar, b0, b1, kc, t, first); break;               \
                        case MR - 3: TILE(MR - 3, ar, b0, b1, kc, t, first); break;               \
                        FP32_EDGE_CASES_##MR(TILE)                                                \
                        default: TILE(1, ar, b0, b1, kc, t, first); break;                        \
                        }                                                                         \
                    }                                                                             \
                }                                                                                 \
                fp32_finish(part, m_end - m0, m0, n0, cols, bias, activation, accumulate, c, ldc); \
            }                                                                                     \
        }                                                                                         \
    }
#define FP32_EDGE_CASES_4(TILE)
#define FP32_EDGE_CASES_6(TILE) \
    case 2: TILE(2, ar, b0, b1, kc, t, first); break;
#define FP32_EDGE_CASES_12(TILE)                                \
    case 8: TILE(8, ar, b0, b1, kc, t, first); break;           \
    case 7: TILE(7, ar, b0, b1, kc, t, first); break;           \
    case 6: TILE(6, ar, b0, b1, kc, t, first); break;           \
    case 5: TILE(5, ar, b0, b1, kc, t, first); break;           \
    case 4: TILE(4, ar, b0, b1, kc, t, first); break;           \
    case 3: TILE(3, ar, b0, b1, kc, t, first); break;           \
    case 2: TILE(2, ar, b0, b1, kc, t, first); break;

// MARK: - scalar

/// R ≤ 4 rows × 32 columns (two 16-column panels, one after the other) over `kc` k values,
/// starting from zero (`first`) or from the partial sums in `t`.
RP_INLINE void tile_scalar(const int R, const float *a, const float *w0,
                           const float *w1, size_t kc, float *t, int first) {
    for (int half = 0; half < 2; half++) {
        const float *panel = half ? w1 : w0;
        float acc[4][16];
        #pragma unroll
        for (int i = 0; i < R; i++)
            for (int j = 0; j < 16; j++) acc[i][j] = first ? 0.0f : t[i * RP_TILE_N + 16 * half + j];
        for (size_t p = 0; p < kc; p++) {
            const float *w = panel + RP_TILE_N * p;
            #pragma unroll
            for (int i = 0; i < R; i++) {
                const float x = a[p * 4 + i];
                for (int j = 0; j < 16; j++) acc[i][j] += x * w[j];
            }
        }
        #pragma unroll
        for (int i = 0; i < R; i++)
            for (int j = 0; j < 16; j++) t[i * RP_TILE_N + 16 * half + j] = acc[i][j];
    }
}

FP32_DRIVER(gemm_scalar, , 4, tile_scalar)

#if defined(__x86_64__)

// MARK: - AVX2 + FMA

/// R ≤ 6 rows × 32 columns, one 16-column panel at a time: 12 accumulators, 2 weight
/// registers, 1 broadcast.
RP_AVX2 RP_INLINE void tile_avx2(const int R, const float *a, const float *w0,
                                 const float *w1, size_t kc, float *t, int first) {
    for (int half = 0; half < 2; half++) {
        const float *panel = half ? w1 : w0;
        float *th = t + 16 * half;
        __m256 acc0[6], acc1[6];
        #pragma unroll
        for (int i = 0; i < R; i++) {
            acc0[i] = first ? _mm256_setzero_ps() : _mm256_loadu_ps(th + i * RP_TILE_N);
            acc1[i] = first ? _mm256_setzero_ps() : _mm256_loadu_ps(th + i * RP_TILE_N + 8);
        }
        for (size_t p = 0; p < kc; p++) {
            const __m256 b0 = _mm256_loadu_ps(panel + RP_TILE_N * p);
            const __m256 b1 = _mm256_loadu_ps(panel + RP_TILE_N * p + 8);
            #pragma unroll
            for (int i = 0; i < R; i++) {
                const __m256 x = _mm256_broadcast_ss(a + p * 6 + i);
                acc0[i] = _mm256_fmadd_ps(x, b0, acc0[i]);
                acc1[i] = _mm256_fmadd_ps(x, b1, acc1[i]);
            }
        }
        #pragma unroll
        for (int i = 0; i < R; i++) {
            _mm256_storeu_ps(th + i * RP_TILE_N, acc0[i]);
            _mm256_storeu_ps(th + i * RP_TILE_N + 8, acc1[i]);
        }
    }
}

FP32_DRIVER(gemm_avx2, RP_AVX2, 6, tile_avx2)

// MARK: - AVX-512F

/// R ≤ 12 rows × two 16-column panels: 24 accumulators, 2 weight registers, broadcasts.
RP_AVX512 RP_INLINE void tile_avx512(const int R, const float *a, const float *w0,
                                     const float *w1, size_t kc, float *t, int first) {
    __m512 acc0[12], acc1[12];
    #pragma unroll
    for (int i = 0; i < R; i++) {
        acc0[i] = first ? _mm512_setzero_ps() : _mm512_load_ps(t + i * RP_TILE_N);
        acc1[i] = first ? _mm512_setzero_ps() : _mm512_load_ps(t + i * RP_TILE_N + 16);
    }
    for (size_t p = 0; p < kc; p++) {
        const __m512 b0 = _mm512_loadu_ps(w0 + RP_TILE_N * p);
        const __m512 b1 = _mm512_loadu_ps(w1 + RP_TILE_N * p);
#if FP32_PREFETCH_K > 0
        _mm_prefetch((const char *)(w0 + RP_TILE_N * (p + FP32_PREFETCH_K)), _MM_HINT_T0);
        _mm_prefetch((const char *)(w1 + RP_TILE_N * (p + FP32_PREFETCH_K)), _MM_HINT_T0);
#endif
        #pragma unroll
        for (int i = 0; i < R; i++) {
            const __m512 x = _mm512_set1_ps(a[p * 12 + i]);
            acc0[i] = _mm512_fmadd_ps(x, b0, acc0[i]);
            acc1[i] = _mm512_fmadd_ps(x, b1, acc1[i]);
        }
    }
    #pragma unroll
    for (int i = 0; i < R; i++) {
        _mm512_store_ps(t + i * RP_TILE_N, acc0[i]);
        _mm512_store_ps(t + i * RP_TILE_N + 16, acc1[i]);
    }
}

FP32_DRIVER(gemm_avx512, RP_AVX512, 12, tile_avx512)

// MARK: - register-only peak probe

/// 24 (AVX-512) or 12 (AVX2) independent FMA chains on registers only, no memory operand.
RP_AVX512 static double probe_avx512(size_t iterations) {
    __m512 acc[24];
    const __m512 x = _mm512_set1_ps(1.0000001f), y = _mm512_set1_ps(0.9999999f);
    for (int i = 0; i < 24; i++) acc[i] = _mm512_set1_ps((float)i);
    for (size_t it = 0; it < iterations; it++) {
        for (int i = 0; i < 24; i++) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
        RP_OPAQUE4("+v", acc);
    }
    __m512 s = acc[0];
    for (int i = 1; i < 24; i++) s = _mm512_add_ps(s, acc[i]);
    return (double)_mm512_reduce_add_ps(s);
}

RP_AVX2 static double probe_avx2(size_t iterations) {
    __m256 acc[12];
    const __m256 x = _mm256_set1_ps(1.0000001f), y = _mm256_set1_ps(0.9999999f);
    for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps((float)i);
    for (size_t it = 0; it < iterations; it++) {
        for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
        RP_OPAQUE4("+x", acc);
    }
    __m256 s = acc[0];
    for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, acc[i]);
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    double total = 0;
    for (int i = 0; i < 8; i++) total += lanes[i];
    return total;
}
#endif

double clipkit_fp32_fma_probe(int variant, size_t iterations, double *sink) {
    double checksum = 0, flops = 0;
    if (!clipkit_fp32_supported(variant)) variant = CLIPKIT_FP32_SCALAR;
    switch (variant) {
#if defined(__x86_64__)
    case CLIPKIT_FP32_AVX512:
        checksum = probe_avx512(iterations);
        flops = 2.0 * 24 * 16 * (double)iterations;
        break;
    case CLIPKIT_FP32_AVX2:
        checksum = probe_avx2(iterations);
        flops = 2.0 * 12 * 8 * (double)iterations;
        break;
#endif
    default: {
        float acc[8];
        for (int i = 0; i < 8; i++) acc[i] = (float)i;
        for (size_t it = 0; it < iterations; it++)
            for (int i = 0; i < 8; i++) acc[i] = acc[i] * 1.0000001f + 0.9999999f;
        for (int i = 0; i < 8; i++) checksum += acc[i];
        flops = 2.0 * 8 * (double)iterations;
    }
    }
    if (sink) *sink = checksum;
    return flops;
}

size_t clipkit_fp32_scratch_count(size_t k) { return fp32_block_rows(k) * k; }

void clipkit_fp32_gemm(int variant, const float *a, size_t lda, size_t m, const float *packed,
                       size_t n, size_t k, size_t n_begin, size_t n_end, const float *bias,
                       int activation, int accumulate, float *c, size_t ldc, float *scratch) {
    (void)n;
    if (k == 0) {  // empty sums: the epilogue of zeros (the drivers' K loop would not run)
        float zero[RP_TILE_N];
        for (size_t r = 0; r < m; r++)
            for (size_t n0 = n_begin; n0 < n_end; n0 += RP_TILE_N) {
                memset(zero, 0, sizeof zero);
                rp_finish_row(zero, n_end - n0 < RP_TILE_N ? n_end - n0 : RP_TILE_N,
                              bias ? bias + n0 : NULL, activation, accumulate, c + r * ldc + n0);
            }
        return;
    }
    if (!clipkit_fp32_supported(variant)) variant = CLIPKIT_FP32_SCALAR;
    switch (variant) {
#if defined(__x86_64__)
    case CLIPKIT_FP32_AVX512:
        gemm_avx512(a, lda, m, packed, k, n_begin, n_end, bias, activation, accumulate, c, ldc, scratch);
        return;
    case CLIPKIT_FP32_AVX2:
        gemm_avx2(a, lda, m, packed, k, n_begin, n_end, bias, activation, accumulate, c, ldc, scratch);
        return;
#endif
    default:
        gemm_scalar(a, lda, m, packed, k, n_begin, n_end, bias, activation, accumulate, c, ldc, scratch);
        return;
    }
}
