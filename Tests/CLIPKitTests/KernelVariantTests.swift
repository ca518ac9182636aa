import CLIPKitKernels
import Foundation
import Testing
@testable import CLIPKit

/// The attention kernel's instruction-set variants and the split matrix products, each compared
/// with a plain double-precision reference on shapes that are not multiples of any block size.
@Suite struct KernelVariantTests {
    static let variantNames = [
        Int32(CLIPKIT_VARIANT_BASELINE): "baseline", Int32(CLIPKIT_VARIANT_AVX2): "avx2",
        Int32(CLIPKIT_VARIANT_AVX512): "avx512",
    ]

    /// Deterministic values in [-2, 2].
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(state >> 40) % 4001 - 2000) / 1000
        }
    }

    /// softmax(scale · q kᵀ) v in double, one head, keys j ≤ i when causal.
    static func referenceAttention(_ qkv: [Float], stride: Int, length: Int, headSize: Int,
                                   scale: Float, causal: Bool) -> [Double] {
        var out = [Double](repeating: 0, count: length * headSize)
        for i in 0..<length {
            let seen = causal ? i + 1 : length
            var scores = (0..<seen).map { j in
                (0..<headSize).reduce(0.0) { $0 + Double(qkv[i * stride + $1]) * Double(qkv[j * stride + headSize + $1]) }
                    * Double(scale)
            }
            let maximum = scores.max() ?? 0
            scores = scores.map { Foundation.exp($0 - maximum) }
            let sum = scores.reduce(0, +)
            for d in 0..<headSize {
                out[i * headSize + d] = (0..<seen).reduce(0.0) {
                    $0 + scores[$1] / sum * Double(qkv[$1 * stride + 2 * headSize + d])
                }
            }
        }
        return out
    }

    @Test(arguments: [(50, 64, false), (77, 64, true), (13, 24, true), (33, 72, false), (1, 64, false),
                      (5, 7, true), (17, 40, false), (70, 33, true), (257, 64, false)])
    func attentionVariantsMatchTheReference(length: Int, headSize: Int, causal: Bool) {
        let stride = 3 * headSize + 5  // rows wider than q|k|v, as in the fused QKV buffer
        let outStride = headSize + 3
        let qkv = Self.values(length * stride, seed: UInt64(length * 1000 + headSize))
        let scale = 1 / Float(headSize).squareRoot()
        let reference = Self.referenceAttention(qkv, stride: stride, length: length, headSize: headSize,
                                                scale: scale, causal: causal)
        var exercised: [String] = []
        for variant in [CLIPKIT_VARIANT_BASELINE, CLIPKIT_VARIANT_AVX2, CLIPKIT_VARIANT_AVX512].map(Int32.init) {
            guard clipkit_kernel_variant_supported(variant) == 1 else { continue }
            var scratch = [Float](repeating: .nan, count: clipkit_attention_scratch_count(length, headSize))
            var out = [Float](repeating: .nan, count: length * outStride)
            let ran = qkv.withUnsafeBufferPointer { q in
                scratch.withUnsafeMutableBufferPointer { s in
                    out.withUnsafeMutableBufferPointer { o in
                        clipkit_attention_head_variant(variant, q.baseAddress!, q.baseAddress! + headSize,
                                                       q.baseAddress! + 2 * headSize, stride, length, headSize,
                                                       scale, causal ? 1 : 0, s.baseAddress!, o.baseAddress!, outStride)
                    }
                }
            }
            #expect(ran == 1)
            var worst = 0.0
            for i in 0..<length {
                for d in 0..<headSize { worst = max(worst, abs(Double(out[i * outStride + d]) - reference[i * headSize + d])) }
                // The padding columns between rows are never written.
                for d in headSize..<outStride { #expect(out[i * outStride + d].isNaN) }
            }
            // Values are weighted means of inputs in [-2, 2]: 2e-6 is a few float ulps of them.
            #expect(worst < 2e-6, "variant \(Self.variantNames[variant] ?? "?"): max |error| \(worst)")
            exercised.append(Self.variantNames[variant] ?? "?")
        }
        // Reported so a test log says which instruction sets ran on this machine.
        print("attention \(length)x\(headSize)\(causal ? " causal" : ""): variants exercised: \(exercised.joined(separator: ", ")); automatic: \(Self.variantNames[clipkit_attention_variant()] ?? "?")")
        #expect(exercised.contains("baseline"))
    }

    /// Large enough to be split over the workers (rows for the first shape, columns for the
    /// second), odd sizes so blocks end mid-tile; compared with a double reference, with both
    /// threadings. `beta = 1` checks that every block adds to, and only to, its own part of c.
    @Test(arguments: [(301, 77, 129), (50, 701, 97), (3, 5, 7)])
    func splitProductsMatchTheReference(m: Int, n: Int, k: Int) {
        let a = Self.values(m * (k + 2), seed: 1)  // lda = k + 2
        let b = Self.values(n * k, seed: 2)
        let c0 = Self.values(m * (n + 1), seed: 3)  // ldc = n + 1
        let saved = MatrixMultiplication.threading
        defer { MatrixMultiplication.threading = saved }
        for threading in MatrixMultiplication.Threading.allCases {
            MatrixMultiplication.threading = threading
            var c = c0
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        BLAS.gemmTransposedB(m: m, n: n, k: k, alpha: 0.5, a: pa.baseAddress!, lda: k + 2,
                                             b: pb.baseAddress!, ldb: k, beta: 1, c: pc.baseAddress!, ldc: n + 1)
                    }
                }
            }
            var worst = 0.0
            for i in 0..<m {
                for j in 0..<n {
                    let dot = (0..<k).reduce(0.0) { $0 + Double(a[i * (k + 2) + $1]) * Double(b[j * k + $1]) }
                    worst = max(worst, abs(Double(c[i * (n + 1) + j]) - (0.5 * dot + Double(c0[i * (n + 1) + j]))))
                }
                #expect(c[i * (n + 1) + n] == c0[i * (n + 1) + n])  // the gap column is untouched
            }
            // |terms| ≤ 4, k ≤ 129 of them: float accumulation error stays well below 1e-4.
            #expect(worst < 1e-4, "\(threading): max |error| \(worst) at \(m)x\(n)x\(k)")
        }
        print("product \(m)x\(n)x\(k): workers \(Parallel.workerCount), split threshold \(BLAS.splitThreshold) multiply-adds")
    }

    /// SigLIP's `gelu(approximate="tanh")`, computed as v · sigmoid(2u) on the shared fast exp,
    /// against 0.5 v (1 + tanh u) in double over [-12, 12] (bias added first): within 4e-7 of
    /// the value relative to max(|v|, 1e-3), and exactly v or about 0 at the clamps of the exp.
    @Test func geluTanhMatchesTheDoubleFormula() {
        let columns = 2401
        let bias = Self.values(columns, seed: 9).map { $0 * 0.01 }
        var x = (0..<columns).map { Float($0 - 1200) / 100 }
        let input = x
        clipkit_bias_gelu_tanh(&x, 1, columns, bias)
        var worst = 0.0
        for c in 0..<columns {
            let v = Double(input[c] + bias[c])
            let u = 0.7978845608028654 * (v + 0.044715 * v * v * v)
            let expected = 0.5 * v * (1 + tanh(u))
            worst = max(worst, abs(Double(x[c]) - expected) / max(abs(v), 1e-3))
        }
        #expect(worst <= 4e-7, "worst relative error \(worst)")
        var extremes: [Float] = [-200, 200]
        clipkit_bias_gelu_tanh(&extremes, 1, 2, nil)
        #expect(abs(extremes[0]) < 1e-30)
        #expect(extremes[1] == 200)
    }
}
