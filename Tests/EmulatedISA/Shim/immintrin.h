// Test-only: stands in for the compiler's <immintrin.h> when the kernels are built with
// CLIPKIT_EMULATE_ISA (see emulated_isa.h). SIMDe provides the intrinsics under their Intel
// names; the few that SIMDe 0.7.4 (Debian 12's libsimde-dev) lacks are written below from
// Intel's definitions.
#ifndef CLIPKIT_EMULATED_IMMINTRIN_H
#define CLIPKIT_EMULATED_IMMINTRIN_H

#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>

#include <math.h>
#include <stdint.h>
#include <string.h>

#ifndef _MM_FROUND_NO_EXC
#define _MM_FROUND_NO_EXC SIMDE_MM_FROUND_NO_EXC
#endif

typedef simde__mmask8 __mmask8;
typedef simde__mmask16 __mmask16;
typedef simde__mmask32 __mmask32;
typedef simde__mmask64 __mmask64;

#define CK_EMU static inline __attribute__((unused))

/// vcvtps2dq: round to nearest even; NaN and out-of-range values give INT32_MIN.
CK_EMU int32_t ck_emu_cvt(float x) {
    const float r = rintf(x);
    return (r >= -2147483648.0f && r < 2147483648.0f) ? (int32_t)r : INT32_MIN;
}

CK_EMU __m512 _mm512_cvtepi32_ps(__m512i a) {
    int32_t in[16];
    float out[16];
    memcpy(in, &a, sizeof in);
    for (int i = 0; i < 16; i++) out[i] = (float)in[i];
    return _mm512_loadu_ps(out);
}

CK_EMU __m512i _mm512_cvtps_epi32(__m512 a) {
    float in[16];
    int32_t out[16];
    memcpy(in, &a, sizeof in);
    for (int i = 0; i < 16; i++) out[i] = ck_emu_cvt(in[i]);
    return _mm512_loadu_si512(out);
}

/// vrndscaleps, which SIMDe 0.7.4 gets wrong (it reads the suppress-exceptions bit, imm8[3], as
/// part of the scale): imm8[7:4] fraction bits kept, imm8[1:0] the rounding (imm8[2]: the
/// current mode, round to nearest even here).
CK_EMU __m512 ck_emu_roundscale_ps(__m512 a, int imm8) {
    float v[16];
    memcpy(v, &a, sizeof v);
    const float scale = (float)(1 << ((imm8 >> 4) & 15));
    for (int i = 0; i < 16; i++) {
        const float x = v[i] * scale;
        float r;
        switch ((imm8 & 4) ? 0 : (imm8 & 3)) {
        case 1: r = floorf(x); break;
        case 2: r = ceilf(x); break;
        case 3: r = truncf(x); break;
        default: r = rintf(x); break;
        }
        v[i] = r / scale;
    }
    return _mm512_loadu_ps(v);
}
#undef _mm512_roundscale_ps
#define _mm512_roundscale_ps(a, imm8) ck_emu_roundscale_ps((a), (imm8))

/// vpmovdw: truncation to 16 bits.
CK_EMU __m256i _mm512_cvtepi32_epi16(__m512i a) {
    int32_t in[16];
    uint16_t out[16];
    memcpy(in, &a, sizeof in);
    for (int i = 0; i < 16; i++) out[i] = (uint16_t)in[i];
    return _mm256_loadu_si256((const __m256i *)out);
}

/// vpmovdw / vpmovdb with a store mask: truncation, as the instructions do.
CK_EMU void _mm512_mask_cvtepi32_storeu_epi16(void *out, __mmask16 k, __m512i a) {
    int32_t in[16];
    memcpy(in, &a, sizeof in);
    for (int i = 0; i < 16; i++)
        if ((k >> i) & 1) {
            const uint16_t v = (uint16_t)in[i];
            memcpy((uint8_t *)out + 2 * i, &v, 2);
        }
}

CK_EMU void _mm512_mask_cvtepi32_storeu_epi8(void *out, __mmask16 k, __m512i a) {
    int32_t in[16];
    memcpy(in, &a, sizeof in);
    for (int i = 0; i < 16; i++)
        if ((k >> i) & 1) ((uint8_t *)out)[i] = (uint8_t)in[i];
}

/// Masked loads and stores touch only the selected elements (the real ones do not fault on the
/// others, so neither may these).
CK_EMU void _mm512_mask_storeu_ps(void *out, __mmask16 k, __m512 a) {
    float in[16];
    memcpy(in, &a, sizeof in);
    for (int i = 0; i < 16; i++)
        if ((k >> i) & 1) memcpy((uint8_t *)out + 4 * i, &in[i], 4);
}

CK_EMU __m512i _mm512_maskz_loadu_epi32(__mmask16 k, const void *in) {
    int32_t out[16] = {0};
    for (int i = 0; i < 16; i++)
        if ((k >> i) & 1) memcpy(&out[i], (const uint8_t *)in + 4 * i, 4);
    return _mm512_loadu_si512(out);
}

CK_EMU __m512 _mm512_maskz_loadu_ps(__mmask16 k, const void *in) {
    float out[16] = {0};
    for (int i = 0; i < 16; i++)
        if ((k >> i) & 1) memcpy(&out[i], (const uint8_t *)in + 4 * i, 4);
    return _mm512_loadu_ps(out);
}

/// Reductions in halves (512 → 256 → 128 → 64 → 32 bits), the order compilers expand them to.
#define CK_EMU_REDUCE(name, type, vector, combine)                               \
    CK_EMU type name(vector a) {                                                \
        type v[16];                                                             \
        memcpy(v, &a, sizeof v);                                                \
        for (int width = 8; width >= 1; width /= 2)                             \
            for (int i = 0; i < width; i++) v[i] = combine(v[i], v[i + width]); \
        return v[0];                                                            \
    }
#define CK_EMU_ADD(x, y) ((x) + (y))
#define CK_EMU_MAX(x, y) ((x) > (y) ? (x) : (y))
#define CK_EMU_MIN(x, y) ((x) < (y) ? (x) : (y))
CK_EMU_REDUCE(_mm512_reduce_add_ps, float, __m512, CK_EMU_ADD)
CK_EMU_REDUCE(_mm512_reduce_max_ps, float, __m512, CK_EMU_MAX)
CK_EMU_REDUCE(_mm512_reduce_min_ps, float, __m512, CK_EMU_MIN)
CK_EMU int32_t _mm512_reduce_add_epi32(__m512i a) {
    int32_t v[16];
    memcpy(v, &a, sizeof v);
    uint32_t s = 0;  // wraps as the instruction does
    for (int i = 0; i < 16; i++) s += (uint32_t)v[i];
    return (int32_t)s;
}

#endif
