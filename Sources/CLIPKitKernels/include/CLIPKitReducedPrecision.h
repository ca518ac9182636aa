#ifndef CLIPKIT_REDUCED_PRECISION_H
#define CLIPKIT_REDUCED_PRECISION_H
#include <stddef.h>
#include <stdint.h>

// Reduced-precision matrix products of the encoder layers' linear layers (int8 and bf16), with
// their weight packing, activation quantization and a fused epilogue (dequantize, bias,
// activation, residual). In C because the kernels need instructions Swift cannot emit without
// building the whole package for one CPU (vpdpbusd, vpmaddwd, vdpbf16ps). Every variant is
// compiled with a per-function `target` attribute and chosen at run time (see
// gemm_int8.c / gemm_bf16.c); callers may also name a variant explicitly (tests do).
//
// Weights are PyTorch's [n, k] (output, input). Packed layout, shared by every variant of one
// precision: columns in panels of 16 (n padded to a multiple of 32 with zero weights), k in
// groups of 4 (int8) or 2 (bf16): panel p, group g holds 16 × 4 bytes / 16 × 2 bf16 values,
// column-major inside the group, i.e. exactly one 512-bit register.

// MARK: - variants and dispatch

/// int8 kernels.
enum {
    CLIPKIT_INT8_SCALAR = 0,  ///< portable C
    CLIPKIT_INT8_AVX2 = 1,    ///< vpmaddwd on 16-bit activations (up to 12 bits) and widened weights
    CLIPKIT_INT8_VNNI = 2,    ///< AVX512-VNNI vpdpbusd (12-bit activations as two u8 planes)
};

/// bf16 kernels.
enum {
    CLIPKIT_BF16_SCALAR = 0,     ///< portable C, fp32 activations
    CLIPKIT_BF16_AVX2 = 1,       ///< widen bf16 weights to fp32 on the fly, AVX2 + FMA
    CLIPKIT_BF16_AVX512 = 2,     ///< widen on the fly, AVX-512F
    CLIPKIT_BF16_AVX512BF16 = 3, ///< vdpbf16ps; activations rounded to bf16
};

/// fp32 kernels (weights packed by clipkit_fp32_pack).
enum {
    CLIPKIT_FP32_SCALAR = 0,  ///< portable C, 4 × 16 tiles
    CLIPKIT_FP32_AVX2 = 1,    ///< AVX2 + FMA, 6 × 16 tiles
    CLIPKIT_FP32_AVX512 = 2,  ///< AVX-512F, 12 × 32 tiles
};

/// Epilogue activations.
enum {
    CLIPKIT_ACTIVATION_NONE = 0,
    CLIPKIT_ACTIVATION_QUICK_GELU = 1,  ///< x · sigmoid(1.702 x)
    CLIPKIT_ACTIVATION_GELU = 2,        ///< exact erf GELU
    CLIPKIT_ACTIVATION_GELU_TANH = 3,   ///< tanh-approximated GELU (PyTorch's approximate="tanh")
};

/// Whether this CPU (and OS) can run an int8 / bf16 variant.
int clipkit_int8_supported(int variant);
int clipkit_bf16_supported(int variant);
int clipkit_fp32_supported(int variant);

/// The variant used when none is named: the best one the CPU supports, capped by the
/// environment variable CLIPKIT_KERNEL (`scalar`, `avx2`, `avx512` = AVX-512F/BW without VNNI or
/// BF16, `native` = everything; unset or unknown means `native`). Read once. For bf16 the dot
/// kernel (vdpbf16ps) is chosen only where it outpaces fp32 FMAs on this CPU
/// (clipkit_bf16_dot_outpaces_fma), else the AVX-512 widening kernel;
/// `CLIPKIT_BF16_KERNEL=dot|widened` overrides that measurement.
int clipkit_int8_default_variant(void);
int clipkit_bf16_default_variant(void);
int clipkit_fp32_default_variant(void);

/// How quantized activations are stored (clipkit_quantized_rows.encoding).
enum {
    CLIPKIT_INT8_VALUES_U8 = 1,         ///< one byte per value
    CLIPKIT_INT8_VALUES_U16 = 2,        ///< one native-endian u16 per value
    /// Two bytes per value: each group of 4 values (the packing group) as its 4 low bytes, then
    /// its 4 high bytes. Two u8 planes, which VNNI's vpdpbusd multiplies one after the other
    /// (high plane, shift by 8, low plane into the same sums) to read more than 8 bits exactly.
    CLIPKIT_INT8_VALUES_U16_SPLIT = 3,
};

/// Bytes per value of an encoding (1 or 2; unknown encodings read as CLIPKIT_INT8_VALUES_U8).
size_t clipkit_int8_value_bytes(int encoding);

/// Bits of the quantized activations: 12, or 8 where the environment variable
/// CLIPKIT_INT8_ACTIVATION_BITS=8 says so (read once). 12 bits is what keeps int8 within its
/// accuracy bounds on models with CLIP's outlier channels (docs/precision.md); 8 bits lets VNNI
/// run one vpdpbusd per group instead of two. Every variant quantizes alike, so an int8 model
/// computes the same sums on every CPU.
int clipkit_int8_activation_bits(void);

/// Largest quantized activation value a variant uses for inputs of width `k`: 2^bits − 1
/// (clipkit_int8_activation_bits), or less where k · qmax · 127 would not fit the int32 sums
/// (12 bits: k above 4128). The variant is a parameter for the callers' sake; every variant uses
/// the same range.
int clipkit_int8_activation_max(int variant, size_t k);

/// The encoding a variant's activations are quantized to: u16 for AVX2 (vpmaddwd multiplies 16-bit
/// activations by weights widened to 16 bits: AVX2 has no exact u8 · s8 product, vpmaddubsw
/// saturates its int16 pair sums), split u16 for VNNI and u16 for the scalar kernel with 12-bit
/// activations; u8 for both with 8.
int clipkit_int8_activation_encoding(int variant);

/// Whether a variant's own kernel reads rows of `encoding` (others go to the scalar kernel):
/// scalar every encoding, AVX2 u16, VNNI u8 and split u16.
int clipkit_int8_reads_encoding(int variant, int encoding);

/// Largest quantized weight magnitude a variant's weights are packed with: 127 for every
/// variant (the limit stays a parameter of packing and of the packed-weight cache key).
int clipkit_int8_weight_max(int variant);

/// Whether a bf16 variant rounds activations to bf16 (so they must be given as bf16 too).
int clipkit_bf16_rounds_activations(int variant);

// MARK: - int8

/// k rounded up to the packing group (4), and the row stride of quantized activations.
size_t clipkit_int8_padded_k(size_t k);
/// n rounded up to a multiple of 32.
size_t clipkit_padded_n(size_t n);

/// Bytes of packed int8 weights for [n, k].
size_t clipkit_int8_packed_size(size_t n, size_t k);

/// Quantizes fp32 weights w[n, k] symmetrically per output channel (scale = max|w| /
/// weight_max, clipkit_int8_weight_max of the variant that will read them) and packs them. Columns listed in `skip` (sorted ascending, `skip_count` of them) are set to
/// zero: the caller computes them in fp32. Writes `packed` (clipkit_int8_packed_size bytes),
/// `scales[n]` and `sums[n]` (the sum of each channel's quantized weights, for the activation
/// zero point).
void clipkit_int8_pack(const float *w, size_t n, size_t k, const int32_t *skip, size_t skip_count,
                       int weight_max, int8_t *packed, float *scales, int32_t *sums);

/// clipkit_int8_pack for output rows [row_begin, row_end) only (row_begin a multiple of 16,
/// row_end ≤ n; anything else does nothing): writes those rows' scales and sums and the 16-row
/// panels they fill (plus the padding after row n - 1 when row_end == n), so workers may pack
/// disjoint ranges at once.
void clipkit_int8_pack_rows(const float *w, size_t n, size_t k, const int32_t *skip,
                            size_t skip_count, int weight_max, size_t row_begin, size_t row_end,
                            int8_t *packed, float *scales, int32_t *sums);

/// Packs fp32 weight columns `columns` (count c) of w[n, k] for the epilogue's fp32 side
/// product: out[(n / 32) · c · 32 + j · 32 + n % 32] = w[n, columns[j]]; size padded_n · c.
void clipkit_pack_outlier_columns(const float *w, size_t n, size_t k, const int32_t *columns,
                                  size_t count, float *out);

/// Quantized activations: rows of `k` values in `encoding` (CLIPKIT_INT8_VALUES_*), `lda` bytes
/// apart (lda ≥ padded k · clipkit_int8_value_bytes(encoding); the padding holds the zero point), a
/// scale and zero point per row, and the fp32 values of the outlier columns
/// [rows, outlier_count], which are excluded from the quantization.
typedef struct {
    const void *values;
    size_t lda;
    int encoding;
    const float *scales;
    const int32_t *zero_points;
    const float *outliers;
} clipkit_quantized_rows;

/// Packed int8 weights of one layer.
typedef struct {
    const int8_t *packed;
    const float *scales;          ///< [n]
    const int32_t *sums;          ///< [n]
    const float *outlier_weights; ///< clipkit_pack_outlier_columns output, or NULL
    size_t outlier_count;
    size_t n, k;
} clipkit_int8_weights;

/// Asymmetric per-row quantization of x[rows, k] (rows `ldx` floats apart) to integers in
/// 0...qmax (qmax ≤ 255 for u8, ≤ 65535 for u16 values), stored in `encoding` in rows `lda`
/// bytes apart: scale = (max − min) / qmax over the row with 0 included, zero point =
/// round(−min / scale). Columns in `outlier_columns` (sorted) are copied to `outliers` instead
/// (and quantize to the zero point); `scratch` (k floats) is used only when there are any. A
/// zero row gets scale 1, zero point 0; a row with non-finite values quantizes to zeros.
void clipkit_quantize_rows(const float *x, size_t rows, size_t k, size_t ldx, int qmax,
                           int encoding, const int32_t *outlier_columns,
                           size_t outlier_count, float *scratch, void *values, size_t lda,
                           float *scales, int32_t *zero_points, float *outliers);

/// ``clipkit_quantize_rows`` in plain scalar C: what every vector variant must equal exactly
/// (tests).
void clipkit_quantize_rows_reference(const float *x, size_t rows, size_t k, size_t ldx, int qmax,
                                     int encoding, const int32_t *outlier_columns,
                                     size_t outlier_count, float *scratch, void *values,
                                     size_t lda, float *scales, int32_t *zero_points,
                                     float *outliers);

/// Layer normalisation fused with the quantization above: each row is normalised into
/// `scratch` (k floats, stays in L1) and quantized from there.
void clipkit_layer_norm_quantize(const float *x, size_t rows, size_t k, const float *gamma,
                                 const float *beta, float epsilon, int qmax, int encoding,
                                 const int32_t *outlier_columns, size_t outlier_count,
                                 float *scratch, void *values, size_t lda, float *scales,
                                 int32_t *zero_points, float *outliers);

/// c[m, n] = act(sa[m] · sw[n] · Σ_k (a[m, k] − za[m]) · w[n, k] + Σ_j outliers[m, j] · w[n, col_j]
///           + bias[n]) (+ c[m, n] when `accumulate`), for columns n_begin..<n_end
/// (n_begin a multiple of 32) and all m rows; c rows are `ldc` floats apart. `bias` may be NULL.
/// Activations must lie in 0...clipkit_int8_activation_max(variant, k); rows in an encoding the
/// variant does not read (clipkit_int8_reads_encoding) are computed by the scalar kernel.
void clipkit_int8_gemm(int variant, const clipkit_quantized_rows *a, size_t m,
                       const clipkit_int8_weights *w, size_t n_begin, size_t n_end,
                       const float *bias, int activation, int accumulate, float *c, size_t ldc);

/// Reference: the same product from unpacked quantized weights wq[n, k] (plain loops, no
/// outliers), for tests.
void clipkit_int8_gemm_reference(const clipkit_quantized_rows *a, size_t m, const int8_t *wq,
                                 const float *w_scales, size_t n, size_t k, const float *bias,
                                 int activation, int accumulate, float *c, size_t ldc);

// MARK: - bf16

/// k rounded up to the packing group (2).
size_t clipkit_bf16_padded_k(size_t k);

/// Number of uint16 values of packed bf16 weights for [n, k].
size_t clipkit_bf16_packed_count(size_t n, size_t k);

/// fp32 → bf16, round to nearest even (NaN stays NaN).
uint16_t clipkit_bf16_from_float(float x);

/// Packs weights w[n, k] given as fp32 (rounded to bf16) or as raw little-endian bf16. Columns
/// listed in `skip` (sorted ascending, `skip_count` of them) are set to zero: the caller computes
/// them in fp32 (clipkit_bf16_weights' outlier columns).
void clipkit_bf16_pack_f32(const float *w, size_t n, size_t k, const int32_t *skip,
                           size_t skip_count, uint16_t *packed);
void clipkit_bf16_pack_raw(const uint16_t *w, size_t n, size_t k, const int32_t *skip,
                           size_t skip_count, uint16_t *packed);
/// The same for output rows [row_begin, row_end) only, as clipkit_int8_pack_rows.
void clipkit_bf16_pack_f32_rows(const float *w, size_t n, size_t k, const int32_t *skip,
                                size_t skip_count, size_t row_begin, size_t row_end,
                                uint16_t *packed);
void clipkit_bf16_pack_raw_rows(const uint16_t *w, size_t n, size_t k, const int32_t *skip,
                                size_t skip_count, size_t row_begin, size_t row_end,
                                uint16_t *packed);

/// clipkit_pack_outlier_columns for raw little-endian bf16 weights (widened exactly to fp32).
void clipkit_pack_outlier_columns_bf16(const uint16_t *w, size_t n, size_t k,
                                       const int32_t *columns, size_t count, float *out);

/// Rounds x[rows, k] (rows `ldx` apart) to bf16 rows `ld` apart (ld ≥ padded k, padding zero).
void clipkit_bf16_convert_rows(const float *x, size_t rows, size_t k, size_t ldx, uint16_t *out,
                               size_t ld);

/// Packed bf16 weights of one layer.
typedef struct {
    const uint16_t *packed;         ///< clipkit_bf16_packed_count(n, k) values
    const int32_t *outlier_columns; ///< input columns computed in fp32, ascending, or NULL
    const float *outlier_weights;   ///< clipkit_pack_outlier_columns output, or NULL
    size_t outlier_count;
    size_t n, k;
} clipkit_bf16_weights;

/// c[m, n] = act(Σ_k a[m, k] · w[n, k] + Σ_j a[m, col_j] · w[n, col_j] + bias[n]) (+ c when
/// `accumulate`) for columns n_begin..<n_end (n_begin a multiple of 32): the first sum over the
/// packed bf16 weights (zero in the outlier columns col_j), the second in fp32 from the fp32
/// activations and weights. Variants that round activations read `a16`
/// (clipkit_bf16_convert_rows output, rows `lda16` apart) for the first sum; every variant
/// reads `a` (rows `lda` apart) for the rest.
void clipkit_bf16_gemm(int variant, const float *a, size_t lda, const uint16_t *a16, size_t lda16,
                       size_t m, const clipkit_bf16_weights *w, size_t n_begin, size_t n_end,
                       const float *bias, int activation, int accumulate, float *c, size_t ldc);

// MARK: - fp32

/// Number of floats of packed fp32 weights for [n, k]: padded n × k.
size_t clipkit_fp32_packed_count(size_t n, size_t k);

/// Packs fp32 weights w[n, k] into panels of 32 columns (k steps of 32 floats each; n padded to
/// a multiple of 32 with zeros), the layout every fp32 variant streams.
void clipkit_fp32_pack(const float *w, size_t n, size_t k, float *packed);

/// The same for panels panel_begin..<panel_end only (of padded n / 32), so several threads can
/// pack one matrix.
void clipkit_fp32_pack_panels(const float *w, size_t n, size_t k, size_t panel_begin,
                              size_t panel_end, float *packed);

/// c[m, n] = act(Σ_k a[m, k] · w[n, k] + bias[n]) (+ c when `accumulate`) for columns
/// n_begin..<n_end (n_begin a multiple of 32) and all m rows (a rows `lda` apart, c rows `ldc`
/// apart). `bias` may be NULL. Each element is summed in increasing k with one multiply-add per
/// k whatever its row's position, so for one variant a row's result does not depend on the batch
/// it is in nor on how rows and columns are split (batch invariance). `scratch` holds
/// clipkit_fp32_scratch_count(k) floats (a block of rows copied into the micro-kernel's order),
/// one per concurrent caller.
void clipkit_fp32_gemm(int variant, const float *a, size_t lda, size_t m, const float *packed,
                       size_t n, size_t k, size_t n_begin, size_t n_end, const float *bias,
                       int activation, int accumulate, float *c, size_t ldc, float *scratch);

/// Floats of scratch clipkit_fp32_gemm needs for inputs of width k (at most 96 · k).
size_t clipkit_fp32_scratch_count(size_t k);

/// Register-only fp32 multiply-add probe for `variant`: independent accumulator chains, no
/// memory operands, `iterations` rounds. Returns the floating-point operations it performed
/// (time it to get the core's peak); `sink` receives a checksum so nothing is optimised away.
double clipkit_fp32_fma_probe(int variant, size_t iterations, double *sink);

/// Register-only probe of the int8 kernel `variant`'s multiply-add sequence (vpdpbusd for VNNI,
/// vpmaddwd + vpaddd for AVX2), as clipkit_fp32_fma_probe; returns operations
/// (2 per multiply-add of the model: with 12-bit activations VNNI takes two vpdpbusd for one).
double clipkit_int8_dot_probe(int variant, size_t iterations, double *sink);

/// Register-only probe of the bf16 kernel `variant`: vdpbf16ps for AVX512-BF16; the fp32 probe
/// of the same width for the variants that widen bf16 to fp32. Returns operations.
double clipkit_bf16_dot_probe(int variant, size_t iterations, double *sink);

/// Whether vdpbf16ps retires clearly more multiply-adds per second than AVX-512 fp32 FMAs on
/// this CPU (measured: about 3 ms of register-only probes); 0 where either is missing.
/// clipkit_bf16_default_variant uses it to choose between the dot and the widening kernels.
int clipkit_bf16_dot_outpaces_fma(void);

#endif
