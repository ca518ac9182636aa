// Run-time choice of the int8 and bf16 kernel variants (see CLIPKitReducedPrecision.h).
//
// Why C: `__builtin_cpu_supports` is the compiler's CPUID check (it also checks that the OS
// saves the AVX-512 registers); the kernels it selects are in gemm_int8.c and gemm_bf16.c.
#include "reduced_precision_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static rp_features detected;
static pthread_once_t detected_once = PTHREAD_ONCE_INIT;

/// What the hardware offers, ignoring the CLIPKIT_KERNEL cap (tests run every variant).
static rp_features hardware(void) {
    rp_features f = {0, 0, 0, 0};
#if defined(__x86_64__)
    __builtin_cpu_init();
    f.avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    f.avx512 = f.avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl");
    f.vnni = f.avx512 && __builtin_cpu_supports("avx512vnni");
    f.bf16 = f.avx512 && __builtin_cpu_supports("avx512bf16");
#endif
    return f;
}

static void detect(void) {
    rp_features f = hardware();
    const char *cap = getenv("CLIPKIT_KERNEL");
    if (cap) {
        if (strcmp(cap, "scalar") == 0) {
            f.avx2 = f.avx512 = f.vnni = f.bf16 = 0;
        } else if (strcmp(cap, "avx2") == 0) {
            f.avx512 = f.vnni = f.bf16 = 0;
        } else if (strcmp(cap, "avx512") == 0) {
            f.vnni = f.bf16 = 0;
        }
    }
    detected = f;
}

rp_features rp_cpu_features(void) {
    pthread_once(&detected_once, detect);
    return detected;
}


int clipkit_int8_supported(int variant) {
    rp_features f = hardware();
    switch (variant) {
    case CLIPKIT_INT8_SCALAR: return 1;
    case CLIPKIT_INT8_AVX2: return f.avx2;
    case CLIPKIT_INT8_VNNI: return f.vnni;
    default: return 0;
    }
}

int clipkit_bf16_supported(int variant) {
    rp_features f = hardware();
    switch (variant) {
    case CLIPKIT_BF16_SCALAR: return 1;
    case CLIPKIT_BF16_AVX2: return f.avx2;
    case CLIPKIT_BF16_AVX512: return f.avx512;
    case CLIPKIT_BF16_AVX512BF16: return f.bf16;
    default: return 0;
    }
}

int clipkit_int8_default_variant(void) {
    rp_features f = rp_cpu_features();
    if (f.vnni) return CLIPKIT_INT8_VNNI;
    if (f.avx2) return CLIPKIT_INT8_AVX2;
    return CLIPKIT_INT8_SCALAR;
}

int clipkit_bf16_default_variant(void) {
    rp_features f = rp_cpu_features();
    // vdpbf16ps is not always the faster way: on some AVX512-BF16 CPUs it retires fewer
    // multiply-adds per second than plain fp32 FMAs (an Intel Xeon of family 6 model 207 without
    // AMX: about half as many), so the bf16 weights are widened to fp32 there. Measured, since no
    // CPUID bit tells; `CLIPKIT_BF16_KERNEL=dot|widened` overrides the measurement.
    if (f.bf16) {
        const char *choice = getenv("CLIPKIT_BF16_KERNEL");
        if (choice && strcmp(choice, "dot") == 0) return CLIPKIT_BF16_AVX512BF16;
        if (!(choice && strcmp(choice, "widened") == 0) && clipkit_bf16_dot_outpaces_fma())
            return CLIPKIT_BF16_AVX512BF16;
    }
    if (f.avx512) return CLIPKIT_BF16_AVX512;
    if (f.avx2) return CLIPKIT_BF16_AVX2;
    return CLIPKIT_BF16_SCALAR;
}

static int activation_bits = 12;
static pthread_once_t activation_bits_once = PTHREAD_ONCE_INIT;

static void read_activation_bits(void) {
    const char *bits = getenv("CLIPKIT_INT8_ACTIVATION_BITS");
    if (bits && strcmp(bits, "8") == 0) activation_bits = 8;
}

int clipkit_int8_activation_bits(void) {
    pthread_once(&activation_bits_once, read_activation_bits);
    return activation_bits;
}

int clipkit_int8_activation_max(int variant, size_t k) {
    (void)variant;
    if (clipkit_int8_activation_bits() == 8) return 255;  // 255 · 127 · k fits for k < 2^16
    // |Σ a · w| ≤ padded k · qmax · 127 must fit an int32 (k = 4096, as in ViT-L/14's fc2,
    // still gets the full 12 bits).
    const size_t limit = (size_t)INT32_MAX / (127 * (k ? clipkit_int8_padded_k(k) : 1));
    return limit < 4095 ? (int)(limit < 1 ? 1 : limit) : 4095;
}

int clipkit_int8_activation_encoding(int variant) {
    if (variant == CLIPKIT_INT8_AVX2) return CLIPKIT_INT8_VALUES_U16;
    if (clipkit_int8_activation_bits() == 8) return CLIPKIT_INT8_VALUES_U8;
    return variant == CLIPKIT_INT8_VNNI ? CLIPKIT_INT8_VALUES_U16_SPLIT : CLIPKIT_INT8_VALUES_U16;
}

int clipkit_int8_reads_encoding(int variant, int encoding) {
    switch (variant) {
    case CLIPKIT_INT8_SCALAR:
        return encoding == CLIPKIT_INT8_VALUES_U8 || encoding == CLIPKIT_INT8_VALUES_U16 ||
               encoding == CLIPKIT_INT8_VALUES_U16_SPLIT;
    case CLIPKIT_INT8_AVX2: return encoding == CLIPKIT_INT8_VALUES_U16;
    case CLIPKIT_INT8_VNNI:
        return encoding == CLIPKIT_INT8_VALUES_U8 || encoding == CLIPKIT_INT8_VALUES_U16_SPLIT;
    default: return 0;
    }
}

size_t clipkit_int8_value_bytes(int encoding) {
    return encoding == CLIPKIT_INT8_VALUES_U16 || encoding == CLIPKIT_INT8_VALUES_U16_SPLIT ? 2 : 1;
}

int clipkit_int8_weight_max(int variant) {
    (void)variant;
    return 127;
}

int clipkit_bf16_rounds_activations(int variant) { return variant == CLIPKIT_BF16_AVX512BF16; }

size_t clipkit_padded_n(size_t n) { return rp_round_up(n, RP_TILE_N); }
