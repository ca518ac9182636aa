// Register-only throughput probes of the int8 and bf16 kernels' multiply-add instructions (the
// fp32 probe is `clipkit_fp32_fma_probe` in gemm_fp32.c), so benchmarks can print each
// precision's share of what the cores can retire.
//
// Why C: the instructions (vpdpbusd, vpmaddwd, vdpbf16ps) are reachable only
// through intrinsics compiled per `target`, chosen at run time like the kernels themselves.
//
// Each probe runs 24 (AVX-512) or 12 (AVX2) independent accumulator chains with no memory
// operand, the exact instruction sequence the variant's micro-kernel issues per multiply-add
// group, and returns the operations performed (2 per multiply-add).
#include "reduced_precision_internal.h"

#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>

RP_VNNI static double probe_vnni(size_t iterations) {
    __m512i acc[24];
    const __m512i x = _mm512_set1_epi32(0x01010101), y = _mm512_set1_epi32(0x01FF01FF);
    for (int i = 0; i < 24; i++) acc[i] = _mm512_set1_epi32(i);
    for (size_t it = 0; it < iterations; it++) {
        for (int i = 0; i < 24; i++) acc[i] = _mm512_dpbusd_epi32(acc[i], x, y);
        RP_OPAQUE4("+v", acc);
    }
    __m512i s = acc[0];
    for (int i = 1; i < 24; i++) s = _mm512_add_epi32(s, acc[i]);
    return (double)_mm512_reduce_add_epi32(s);
}

/// The AVX2 int8 micro-kernel's sequence: vpmaddwd (s16 pairs to s32), vpaddd. One operand is
/// the accumulator itself (the values wrap, which does not matter here): with constant operands
/// the compiler hoists the multiply out of the loop and the probe times vpaddd alone (an earlier
/// probe read 1,312 GOPS that way, 3.4× the multiplies' limit, on a 2-core Zen 3).
RP_AVX2 static double probe_int8_avx2(size_t iterations) {
    __m256i acc[12];
    const __m256i y = _mm256_set1_epi16(3);
    for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_epi32(i + 1);
    for (size_t it = 0; it < iterations; it++) {
        for (int i = 0; i < 12; i++) acc[i] = _mm256_add_epi32(acc[i], _mm256_madd_epi16(acc[i], y));
        RP_OPAQUE4("+x", acc);
    }
    __m256i s = acc[0];
    for (int i = 1; i < 12; i++) s = _mm256_add_epi32(s, acc[i]);
    int32_t lanes[8];
    _mm256_storeu_si256((__m256i *)lanes, s);
    double total = 0;
    for (int i = 0; i < 8; i++) total += lanes[i];
    return total;
}

RP_AVX512BF16 static double probe_bf16(size_t iterations) {
    __m512 acc[24];
    const __m512bh x = (__m512bh)_mm512_set1_epi32(0x3F803F80), y = (__m512bh)_mm512_set1_epi32(0x3F803F80);
    for (int i = 0; i < 24; i++) acc[i] = _mm512_set1_ps((float)i);
    for (size_t it = 0; it < iterations; it++) {
        for (int i = 0; i < 24; i++) acc[i] = _mm512_dpbf16_ps(acc[i], x, y);
        RP_OPAQUE4("+v", acc);
    }
    __m512 s = acc[0];
    for (int i = 1; i < 24; i++) s = _mm512_add_ps(s, acc[i]);
    return (double)_mm512_reduce_add_ps(s);
}
#endif

double clipkit_int8_dot_probe(int variant, size_t iterations, double *sink) {
    double checksum = 0, operations = 0;
    if (!clipkit_int8_supported(variant)) variant = CLIPKIT_INT8_SCALAR;
    switch (variant) {
#if defined(__x86_64__)
    case CLIPKIT_INT8_VNNI:
        checksum = probe_vnni(iterations);
        // The model's multiply-adds: a 12-bit activation (split u16 rows) takes two vpdpbusd.
        operations = 2.0 * 24 * 64 * (double)iterations /
                     (clipkit_int8_activation_encoding(variant) == CLIPKIT_INT8_VALUES_U16_SPLIT ? 2 : 1);
        break;
    case CLIPKIT_INT8_AVX2:
        checksum = probe_int8_avx2(iterations);
        operations = 2.0 * 12 * 16 * (double)iterations;
        break;
#endif
    default: {
        uint32_t acc[8];
        for (int i = 0; i < 8; i++) acc[i] = (uint32_t)i;
        for (size_t it = 0; it < iterations; it++)
            for (int i = 0; i < 8; i++) acc[i] = acc[i] * 3u + 1u;  // unsigned: wraps by definition
        for (int i = 0; i < 8; i++) checksum += acc[i];
        operations = 2.0 * 8 * (double)iterations;
    }
    }
    if (sink) *sink = checksum;
    return operations;
}

double clipkit_bf16_dot_probe(int variant, size_t iterations, double *sink) {
    if (!clipkit_bf16_supported(variant)) variant = CLIPKIT_BF16_SCALAR;
    switch (variant) {
#if defined(__x86_64__)
    case CLIPKIT_BF16_AVX512BF16: {
        const double checksum = probe_bf16(iterations);
        if (sink) *sink = checksum;
        return 2.0 * 24 * 32 * (double)iterations;
    }
    // The widening variants compute with fp32 multiply-adds: their limit is the fp32 probe's.
    case CLIPKIT_BF16_AVX512:
        return clipkit_fp32_fma_probe(CLIPKIT_FP32_AVX512, iterations, sink);
    case CLIPKIT_BF16_AVX2:
        return clipkit_fp32_fma_probe(CLIPKIT_FP32_AVX2, iterations, sink);
#endif
    default:
        return clipkit_fp32_fma_probe(CLIPKIT_FP32_SCALAR, iterations, sink);
    }
}

static double thread_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int clipkit_bf16_dot_outpaces_fma(void) {
#if defined(__x86_64__)
    if (!clipkit_bf16_supported(CLIPKIT_BF16_AVX512BF16) || !clipkit_fp32_supported(CLIPKIT_FP32_AVX512)) return 0;
    // Multiply-adds per second of each, best of alternating short runs (about 1 ms each; thread
    // CPU time, so a preempted run does not count its wait).
    const size_t iterations = 50000;
    double dot = 0, fma = 0, sink = 0;
    for (int round = 0; round < 3; round++) {
        double start = thread_seconds();
        double operations = clipkit_bf16_dot_probe(CLIPKIT_BF16_AVX512BF16, iterations, &sink);
        double seconds = thread_seconds() - start;
        if (seconds > 0 && operations / seconds > dot) dot = operations / seconds;
        start = thread_seconds();
        operations = clipkit_fp32_fma_probe(CLIPKIT_FP32_AVX512, iterations, &sink);
        seconds = thread_seconds() - start;
        if (seconds > 0 && operations / seconds > fma) fma = operations / seconds;
    }
    // The dot variant also rounds activations to bf16: it must win clearly to be chosen.
    return dot > 1.25 * fma;
#else
    return 0;
#endif
}
