import CLIPKitKernels
import Foundation
import Testing

/// Deterministic values in [-1, 1) for the fp32 kernel tests (splitmix64).
private struct FP32TestRandom {
    var state: UInt64
    mutating func unit() -> Float {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return Float((z ^ (z >> 31)) >> 40) * 0x1p-24 * 2 - 1
    }
}

private let fp32Variants: [(Int32, String)] = [
    (Int32(CLIPKIT_FP32_SCALAR), "scalar"), (Int32(CLIPKIT_FP32_AVX2), "avx2"),
    (Int32(CLIPKIT_FP32_AVX512), "avx512"),
]

/// One fp32 product: a[m, k], w[n, k], bias[n], weights packed once.
private struct FP32Problem {
    let m: Int, n: Int, k: Int
    let a: [Float], w: [Float], bias: [Float]
    let packed: [Float]

    init(m: Int, n: Int, k: Int, seed: UInt64) {
        self.m = m; self.n = n; self.k = k
        var random = FP32TestRandom(state: seed)
        a = (0..<(m * k)).map { _ in random.unit() }
        w = (0..<(n * k)).map { _ in random.unit() }
        bias = (0..<n).map { _ in random.unit() }
        var packed = [Float](repeating: .nan, count: max(1, clipkit_fp32_packed_count(n, k)))
        clipkit_fp32_pack(w, n, k, &packed)
        self.packed = packed
    }

    /// Rows `rows` of the product through `variant`, columns in two calls split at `split`
    /// (a multiple of 32), into a buffer that starts as `start`.
    func run(_ variant: Int32, rows: Range<Int>, split: Int? = nil, bias useBias: Bool = false,
             activation: Int32 = Int32(CLIPKIT_ACTIVATION_NONE), accumulate: Bool = false,
             start: Float = 0) -> [Float] {
        var c = [Float](repeating: start, count: rows.count * n)
        var scratch = [Float](repeating: .nan, count: max(1, clipkit_fp32_scratch_count(k)))
        let cut = min(split ?? n, n)
        a.withUnsafeBufferPointer { a in
            for columns in [0..<cut, cut..<n] where !columns.isEmpty {
                clipkit_fp32_gemm(variant, a.baseAddress.map { $0 + rows.lowerBound * k }, k, rows.count, packed, n, k,
                                  columns.lowerBound, columns.upperBound, useBias ? bias : nil, activation,
                                  accumulate ? 1 : 0, &c, n, &scratch)
            }
        }
        return c
    }

    /// Σ_k a[r, k] · w[j, k] in double, and Σ_k |a[r, k] · w[j, k]|, for every element.
    func reference() -> (sums: [Double], magnitudes: [Double]) {
        var sums = [Double](repeating: 0, count: m * n), magnitudes = sums
        for r in 0..<m {
            for j in 0..<n {
                var s = 0.0, t = 0.0
                for i in 0..<k {
                    let p = Double(a[r * k + i]) * Double(w[j * k + i])
                    s += p
                    t += abs(p)
                }
                sums[r * n + j] = s
                magnitudes[r * n + j] = t
            }
        }
        return (sums, magnitudes)
    }
}

/// M, N and K off every tile and block: rows 1 … 201 (tiles of 12 / 6 / 4, blocks of up to
/// 96 rows), columns off the 32-column tile, K past the 256-step K block, and K = 0 (bias only).
private let fp32Shapes: [(m: Int, n: Int, k: Int)] = [
    (1, 1, 1), (3, 5, 7), (13, 33, 129), (25, 70, 66), (12, 32, 64), (97, 47, 300), (201, 65, 513), (4, 9, 0),
]

@Suite struct FP32KernelTests {
    /// The variants this CPU runs; the tests below run each of them.
    static let supported = fp32Variants.filter { clipkit_fp32_supported($0.0) != 0 }

    @Test func reportsTheVariantsItExercises() {
        print("fp32 variants exercised: \(Self.supported.map(\.1).joined(separator: ", "))")
        #expect(Self.supported.first?.1 == "scalar")
        if ProcessInfo.processInfo.environment["CLIPKIT_EMULATED_ISA"] == "1" {
            #expect(Self.supported.count == fp32Variants.count, "Tests/EmulatedISA: every variant must run")
        }
        #expect(clipkit_fp32_supported(99) == 0)
        #if arch(x86_64)
        if ProcessInfo.processInfo.environment["CLIPKIT_KERNEL"] == nil {
            #expect(clipkit_fp32_default_variant() == Self.supported.last?.0)
        }
        #endif
    }

    /// Every variant against a double-precision reference. Bound, per element: the error of a
    /// k-term fp32 sum, |Δ| ≤ γ · Σ|a·w| with γ = k · 2⁻²⁴ (the classic k·u bound for
    /// recursive summation; the observed errors are far below it), plus 2⁻²⁴ of the result
    /// for the bias add and the final rounding.
    @Test func everyVariantMatchesTheDoubleReference() {
        for (index, shape) in fp32Shapes.enumerated() {
            let problem = FP32Problem(m: shape.m, n: shape.n, k: shape.k, seed: UInt64(index + 1))
            let (sums, magnitudes) = problem.reference()
            let u = 0x1p-24
            for (variant, name) in Self.supported {
                let c = problem.run(variant, rows: 0..<shape.m, split: 32, bias: true)
                var worst = 0.0
                for e in 0..<c.count {
                    let expected: Double = sums[e] + Double(problem.bias[e % shape.n])
                    let bound: Double = Double(shape.k) * u * magnitudes[e] + 2 * u * (abs(expected) + 1)
                    let error: Double = abs(Double(c[e]) - expected)
                    worst = max(worst, error / bound)
                }
                #expect(worst <= 1, "\(name) \(shape): error / bound \(worst)")
            }
        }
    }

    /// The fused epilogue: quick_gelu and GELU after the bias, and the residual add, against the
    /// same formulas in double (relative to the largest output: 1e-6, the fast exp's error
    /// included).
    @Test func epilogueMatchesTheReference() {
        let problem = FP32Problem(m: 29, n: 70, k: 100, seed: 9)
        let (sums, _) = problem.reference()
        for (variant, name) in Self.supported {
            let quickGELU: (Double) -> Double = { x in x / (1 + exp(-1.702 * x)) }
            let gelu: (Double) -> Double = { x in 0.5 * x * (1 + erf(x / 2.0.squareRoot())) }
            let cases: [(Int32, (Double) -> Double)] = [(Int32(CLIPKIT_ACTIVATION_QUICK_GELU), quickGELU),
                                                        (Int32(CLIPKIT_ACTIVATION_GELU), gelu)]
            for (activation, f) in cases {
                let c = problem.run(variant, rows: 0..<problem.m, split: 64, bias: true, activation: activation,
                                    accumulate: true, start: 0.5)
                var expected = [Double](repeating: 0, count: sums.count)
                for e in sums.indices { expected[e] = 0.5 + f(sums[e] + Double(problem.bias[e % problem.n])) }
                let scale = expected.map { abs($0) }.max() ?? 1
                var error = 0.0
                for e in c.indices { error = max(error, abs(Double(c[e]) - expected[e])) }
                let relative = error / scale
                #expect(relative <= 1e-6, "\(name) activation \(activation): \(relative)")
            }
        }
    }

    /// Batch invariance: a row's result is bit-identical whether it is computed alone, at any
    /// position of a batch (tile edges, 96-row block edges), with the columns split anywhere.
    @Test func rowsAreBatchInvariant() {
        let problem = FP32Problem(m: 211, n: 97, k: 300, seed: 17)
        for (variant, name) in Self.supported {
            let whole = problem.run(variant, rows: 0..<problem.m, bias: true, activation: Int32(CLIPKIT_ACTIVATION_QUICK_GELU))
            for (rows, split) in [(0..<1, 32), (5..<6, 64), (95..<97, 32), (100..<211, 96), (7..<50, 32), (200..<211, 64)] {
                let part = problem.run(variant, rows: rows, split: split, bias: true,
                                       activation: Int32(CLIPKIT_ACTIVATION_QUICK_GELU))
                let expected = Array(whole[(rows.lowerBound * problem.n)..<(rows.upperBound * problem.n)])
                #expect(part == expected, "\(name) rows \(rows) split \(split)")
            }
        }
    }

    /// The AVX2 and AVX-512 variants do the same fused multiply-adds in the same order, so they
    /// agree bit for bit (the scalar one rounds the product separately on CPUs without FMA).
    @Test func vectorVariantsAgreeExactly() {
        let vector = Self.supported.filter { $0.1 != "scalar" }
        guard vector.count == 2 else { return }
        let problem = FP32Problem(m: 37, n: 70, k: 513, seed: 23)
        let results = vector.map { problem.run($0.0, rows: 0..<problem.m, split: 32, bias: true) }
        #expect(results[0] == results[1])
    }

    /// The register-only probe reports the operations it ran and leaves a finite checksum.
    @Test func peakProbeCountsItsOperations() {
        for (variant, name) in Self.supported {
            var sink = 0.0
            let flops = clipkit_fp32_fma_probe(variant, 1000, &sink)
            let perIteration = flops / 1000
            // 8 scalar chains; 12 chains of 8 lanes (AVX2); 24 chains of 16 lanes (AVX-512).
            let expected: [Double] = [16, 192, 768]
            let known = expected.contains(perIteration)
            #expect(known, "\(name): \(perIteration)")
            #expect(sink.isFinite, "\(name)")
        }
    }
}
