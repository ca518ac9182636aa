// Test-only, force-included (`-include`) into the kernels by this folder's Package.swift
// (scripts/test-emulated-isa.sh): every x86 kernel variant (AVX2, AVX-512, VNNI, BF16) then runs
// on any x86-64 CPU, through SIMDe's portable implementations of the intrinsics (immintrin.h
// beside this file), so the tests that check each variant against the scalar kernel exercise
// AVX-512 code on an AVX2-only machine too. Results are bit-exact where the instruction is
// (integer products, conversions); speed means nothing.
#ifndef CLIPKIT_EMULATED_ISA_H
#define CLIPKIT_EMULATED_ISA_H

// `__attribute__((target("avx2,fma")))` becomes `__attribute__(())`: the variants are compiled
// for the baseline, which SIMDe's portable code needs.
#define target(features)

#define CLIPKIT_EMULATED_ISA 1

// Every CPU feature the kernels ask about is reported present.
#define __builtin_cpu_init() ((void)0)
#define __builtin_cpu_supports(feature) 1

#endif
