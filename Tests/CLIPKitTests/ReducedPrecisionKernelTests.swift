// Also built by Tests/EmulatedISA (the kernels alone, without CLIPKit).
#if canImport(CLIPKit)
import CLIPKit
#endif
import CLIPKitKernels
import Foundation
import Testing

/// Deterministic pseudo-random numbers for the kernel tests.
private struct TestRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    mutating func unit() -> Float { Float(next() >> 40) * 0x1p-24 * 2 - 1 }
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }
}

/// Shapes with M, N and K off every tile size (8 rows, 32 columns, groups of 4 / 2).
private let oddShapes: [(m: Int, n: Int, k: Int)] = [
    (1, 1, 1), (3, 5, 7), (9, 33, 13), (17, 70, 66), (8, 32, 64), (13, 47, 129),
]

private let int8Variants: [(Int32, String)] = [
    (Int32(CLIPKIT_INT8_SCALAR), "scalar"), (Int32(CLIPKIT_INT8_AVX2), "avx2"),
    (Int32(CLIPKIT_INT8_VNNI), "avx512-vnni"),
]
private let bf16Variants: [(Int32, String)] = [
    (Int32(CLIPKIT_BF16_SCALAR), "scalar"), (Int32(CLIPKIT_BF16_AVX2), "avx2"),
    (Int32(CLIPKIT_BF16_AVX512), "avx512"), (Int32(CLIPKIT_BF16_AVX512BF16), "avx512-bf16"),
]

private let u8 = Int32(CLIPKIT_INT8_VALUES_U8), u16 = Int32(CLIPKIT_INT8_VALUES_U16)
private let splitU16 = Int32(CLIPKIT_INT8_VALUES_U16_SPLIT)
private let int8Encodings = [u8, u16, splitU16]

/// Quantized activation ranges and encodings the kernels use: 8 bits (CLIPKIT_INT8_ACTIVATION_BITS=8),
/// the 7 an earlier AVX2 kernel used, and the default 12 as u16 (AVX2, scalar) and split u16 (VNNI).
private let activationRanges: [(qmax: Int32, encoding: Int32)] = [(255, u8), (127, u8), (4095, u16), (4095, splitU16)]

/// Value `i` of quantized rows in `encoding` (little-endian u16; split rows keep each group of
/// 4 as its low bytes, then its high bytes).
private func quantizedValue(_ bytes: [UInt8], encoding: Int32, _ i: Int) -> Int32 {
    switch encoding {
    case u16: return Int32(bytes[2 * i]) | Int32(bytes[2 * i + 1]) << 8
    case splitU16:
        let low = 8 * (i / 4) + i % 4
        return Int32(bytes[low]) | Int32(bytes[low + 4]) << 8
    default: return Int32(bytes[i])
    }
}

/// `values` (a whole number of groups of 4) stored in `encoding`, as the quantizers store them.
private func encoded(_ values: [UInt16], _ encoding: Int32) -> [UInt8] {
    switch encoding {
    case u16: return values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }  // x86-64 and arm64: little-endian
    case splitU16:
        var bytes = [UInt8](repeating: 0, count: 2 * values.count)
        for (i, value) in values.enumerated() {
            let low = 8 * (i / 4) + i % 4
            bytes[low] = UInt8(value & 0xFF)
            bytes[low + 4] = UInt8(value >> 8)
        }
        return bytes
    default: return values.map { UInt8($0) }
    }
}

/// The encodings `variant`'s own kernel reads, each with the largest activation it may hold for
/// inputs of width `k`.
private func int8Inputs(_ variant: Int32, k: Int) -> [(encoding: Int32, qmax: Int)] {
    let top = Int(clipkit_int8_activation_max(variant, k))
    return int8Encodings.filter { clipkit_int8_reads_encoding(variant, $0) != 0 }.map {
        ($0, $0 == u8 ? min(255, top) : top)
    }
}

/// Largest |a − b| relative to the largest |b| (1 when b is all zero).
private func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    let scale = max(b.map(abs).max() ?? 0, 1e-30)
    return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}

/// bf16 weights w[n, k] packed as a layer packs them: `outliers` (ascending) zero in the bf16
/// panels, their fp32 weights packed for the epilogue.
private struct BF16Layer {
    let n: Int, k: Int
    let outliers: [Int32]
    var packed: [UInt16]
    var outlierWeights: [Float]

    init(_ w: [Float], n: Int, k: Int, outliers: [Int32] = []) {
        (self.n, self.k, self.outliers) = (n, k, outliers)
        packed = [UInt16](repeating: 0, count: clipkit_bf16_packed_count(n, k))
        clipkit_bf16_pack_f32(w, n, k, outliers, outliers.count, &packed)
        outlierWeights = [Float](repeating: 0, count: max(1, clipkit_padded_n(n) * outliers.count))
        clipkit_pack_outlier_columns(w, n, k, outliers, outliers.count, &outlierWeights)
    }

    /// clipkit_bf16_gemm over columns `columns`, accumulating into `c` [m, n].
    func gemm(_ variant: Int32, _ x: [Float], _ x16: [UInt16]?, ld16: Int, m: Int, columns: Range<Int>,
              bias: [Float]?, activation: Int32, into c: inout [Float]) {
        packed.withUnsafeBufferPointer { p in
            outliers.withUnsafeBufferPointer { o in
                outlierWeights.withUnsafeBufferPointer { ow in
                    var w = clipkit_bf16_weights(packed: p.baseAddress, outlier_columns: o.baseAddress,
                                                 outlier_weights: outliers.isEmpty ? nil : ow.baseAddress,
                                                 outlier_count: outliers.count, n: n, k: k)
                    clipkit_bf16_gemm(variant, x, k, x16, ld16, m, &w, columns.lowerBound, columns.upperBound,
                                      bias, activation, 1, &c, n)
                }
            }
        }
    }
}

/// One int8 product problem: quantized weights built so that packing reproduces them exactly,
/// quantized activations given directly.
private struct Int8Problem {
    let m: Int, n: Int, k: Int
    var wq: [Int8]           // [n, k]
    var weights: [Float]     // wq · scale, [n, k]
    var values: [UInt16]     // [m, lda], stored in `encoding` when run
    let lda: Int             // in values
    let encoding: Int32      // CLIPKIT_INT8_VALUES_*, one the variant under test reads
    var scales: [Float]      // [m]
    var zeros: [Int32]       // [m]
    var bias: [Float]        // [n]

    /// Largest weight magnitude the variant under test reads (clipkit_int8_weight_max).
    let weightMax: Int

    init(m: Int, n: Int, k: Int, qmax: Int, encoding: Int32 = u8, weightMax: Int = 127,
         random: inout TestRandom, weight: ((Int, Int) -> Int8)? = nil,
         activation: ((Int, Int) -> UInt16)? = nil) {
        self.m = m; self.n = n; self.k = k
        self.weightMax = weightMax
        self.encoding = encoding
        let top = Int8(weightMax)
        let lda = Int(clipkit_int8_padded_k(k)) + 4
        var wq = [Int8](repeating: 0, count: n * k)
        var weights = [Float](repeating: 0, count: n * k)
        for row in 0..<n {
            let scale = 0.001 * Float(row + 1)
            for col in 0..<k {
                // One ±weightMax per row fixes the channel scale at exactly `scale`.
                let q: Int8
                if let weight { q = weight(row, col) } else {
                    q = col == row % k ? (row % 2 == 0 ? top : -top) : Int8(random.int(-weightMax...weightMax))
                }
                wq[row * k + col] = q
                weights[row * k + col] = Float(q) * scale
            }
        }
        var values = [UInt16](repeating: 0, count: m * lda)
        for r in 0..<m {
            for c in 0..<k {
                if let activation { values[r * lda + c] = activation(r, c) } else {
                    values[r * lda + c] = UInt16(random.int(0...qmax))
                }
            }
        }
        self.lda = lda
        self.wq = wq
        self.weights = weights
        self.values = values
        scales = (0..<m).map { Float($0 + 1) * 0.01 }
        zeros = (0..<m).map { Int32($0 * 37 % (qmax + 1)) }
        bias = (0..<n).map { _ in random.unit() }
    }

    /// Runs `variant` (or the reference when nil) with `activation` and `accumulate` over a
    /// starting output of `start`.
    func run(_ variant: Int32?, activation: Int32, accumulate: Bool, start: Float = 0.5) -> [Float] {
        var out = [Float](repeating: start, count: m * n)
        var packed = [Int8](repeating: 0, count: max(1, clipkit_int8_packed_size(n, k)))
        var packedScales = [Float](repeating: 0, count: n)
        var sums = [Int32](repeating: 0, count: n)
        clipkit_int8_pack(weights, n, k, nil, 0, Int32(weightMax), &packed, &packedScales, &sums)
        let bytes = encoded(values, encoding)
        let valueBytes = Int(clipkit_int8_value_bytes(encoding))
        bytes.withUnsafeBytes { v in
            scales.withUnsafeBufferPointer { s in
                zeros.withUnsafeBufferPointer { z in
                    var rows = clipkit_quantized_rows(values: v.baseAddress, lda: lda * valueBytes,
                                                      encoding: encoding, scales: s.baseAddress,
                                                      zero_points: z.baseAddress, outliers: nil)
                    if let variant {
                        packed.withUnsafeBufferPointer { p in
                            packedScales.withUnsafeBufferPointer { ps in
                                sums.withUnsafeBufferPointer { su in
                                    var w = clipkit_int8_weights(packed: p.baseAddress, scales: ps.baseAddress,
                                                                 sums: su.baseAddress, outlier_weights: nil,
                                                                 outlier_count: 0, n: n, k: k)
                                    // Two column ranges, as two workers would split them.
                                    let split = min(n, 32)
                                    clipkit_int8_gemm(variant, &rows, m, &w, 0, split, bias, activation,
                                                      accumulate ? 1 : 0, &out, n)
                                    clipkit_int8_gemm(variant, &rows, m, &w, split, n, bias, activation,
                                                      accumulate ? 1 : 0, &out, n)
                                }
                            }
                        }
                    } else {
                        clipkit_int8_gemm_reference(&rows, m, wq, packedScales, n, k, bias, activation,
                                                    accumulate ? 1 : 0, &out, n)
                    }
                }
            }
        }
        return out
    }
}

@Suite struct ReducedPrecisionKernelTests {
    /// The variants this CPU runs; the tests below run each of them.
    static let int8Supported = int8Variants.filter { clipkit_int8_supported($0.0) != 0 }
    static let bf16Supported = bf16Variants.filter { clipkit_bf16_supported($0.0) != 0 }

    @Test func reportsTheVariantsItExercises() {
        print("int8 variants exercised: \(Self.int8Supported.map(\.1).joined(separator: ", "))")
        print("bf16 variants exercised: \(Self.bf16Supported.map(\.1).joined(separator: ", "))")
        #expect(Self.int8Supported.first?.1 == "scalar")
        #expect(Self.bf16Supported.first?.1 == "scalar")
        if ProcessInfo.processInfo.environment["CLIPKIT_EMULATED_ISA"] == "1" {
            // Tests/EmulatedISA: every variant must run, or the emulation tested nothing new.
            #expect(Self.int8Supported.count == int8Variants.count && Self.bf16Supported.count == bf16Variants.count)
        }
        #if arch(x86_64)
        // The default is the best variant the CPU has (unless CLIPKIT_KERNEL caps it).
        if ProcessInfo.processInfo.environment["CLIPKIT_KERNEL"] == nil {
            #expect(clipkit_int8_default_variant() == Self.int8Supported.last?.0)
            #expect(clipkit_bf16_default_variant() == Self.bf16Supported.last?.0)
        }
        #endif
    }

    /// Every int8 variant equals the plain-loop reference on odd shapes, in every encoding it
    /// reads, with and without the fused quick_gelu and residual (the integer sums are exact;
    /// only the fp32 epilogue's rounding may differ: 1e-6 relative).
    @Test func int8VariantsMatchTheReference() {
        var random = TestRandom(state: 1)
        for (variant, name) in Self.int8Supported {
            let weightMax = Int(clipkit_int8_weight_max(variant))
            for shape in oddShapes {
                for (encoding, qmax) in int8Inputs(variant, k: shape.k) {
                    let problem = Int8Problem(m: shape.m, n: shape.n, k: shape.k, qmax: qmax, encoding: encoding,
                                              weightMax: weightMax, random: &random)
                    for (activation, accumulate) in [(Int32(CLIPKIT_ACTIVATION_NONE), false),
                                                     (Int32(CLIPKIT_ACTIVATION_QUICK_GELU), false),
                                                     (Int32(CLIPKIT_ACTIVATION_GELU), false),
                                                     (Int32(CLIPKIT_ACTIVATION_GELU_TANH), false),
                                                     (Int32(CLIPKIT_ACTIVATION_NONE), true)] {
                        let expected = problem.run(nil, activation: activation, accumulate: accumulate)
                        let actual = problem.run(variant, activation: activation, accumulate: accumulate)
                        let error = relativeError(actual, expected)
                        #expect(error <= 1e-6, "\(name) \(shape) encoding \(encoding) activation \(activation) accumulate \(accumulate): \(error)")
                    }
                }
            }
        }
    }

    /// Overflow corners: the largest weights each variant is packed with against the largest
    /// activation it uses for that width and against 0, in every encoding it reads, up to
    /// k = 4096 where 12-bit sums come within 1 % of overflowing an int32 (4096 · 4095 · 127;
    /// VNNI's split rows also shift their high-byte sums by 8 there); and rows at their zero
    /// point give exactly the bias.
    @Test func int8CornersAreExact() {
        var random = TestRandom(state: 2)
        for (variant, name) in Self.int8Supported {
            let weightMax = Int(clipkit_int8_weight_max(variant))
            let top = Int8(weightMax)
            for shape in [(m: 9, n: 33, k: 515), (m: 2, n: 3, k: 4), (m: 7, n: 35, k: 4096)] {
                for (encoding, qmax) in int8Inputs(variant, k: shape.k) {
                    let high = UInt16(qmax)
                    let patterns: [(String, (Int, Int) -> Int8, (Int, Int) -> UInt16)] = [
                        ("+max × max", { _, _ in top }, { _, _ in high }),
                        ("−max × max", { _, _ in -top }, { _, _ in high }),
                        ("±max × max/0", { r, c in (r + c) % 2 == 0 ? top : -top }, { _, c in c % 2 == 0 ? high : 0 }),
                        ("±max × 0", { r, c in (r + c) % 3 == 0 ? top : -top }, { _, _ in 0 }),
                    ]
                    for (label, weight, activation) in patterns {
                        let problem = Int8Problem(m: shape.m, n: shape.n, k: shape.k, qmax: qmax, encoding: encoding,
                                                  weightMax: weightMax, random: &random, weight: weight,
                                                  activation: activation)
                        let expected = problem.run(nil, activation: Int32(CLIPKIT_ACTIVATION_NONE), accumulate: false)
                        let actual = problem.run(variant, activation: Int32(CLIPKIT_ACTIVATION_NONE), accumulate: false)
                        #expect(relativeError(actual, expected) <= 1e-6, "\(name) \(label) \(shape) encoding \(encoding)")
                    }
                }
            }
            // Every activation at the row's zero point: the product is exactly the bias.
            for (encoding, qmax) in int8Inputs(variant, k: 21) {
                var problem = Int8Problem(m: 5, n: 40, k: 21, qmax: qmax, encoding: encoding, weightMax: weightMax,
                                          random: &random)
                for r in 0..<problem.m {
                    for c in 0..<problem.k { problem.values[r * problem.lda + c] = UInt16(problem.zeros[r]) }
                }
                let out = problem.run(variant, activation: Int32(CLIPKIT_ACTIVATION_NONE), accumulate: false)
                for r in 0..<problem.m {
                    #expect(Array(out[(r * problem.n)..<((r + 1) * problem.n)]) == problem.bias,
                            "\(name) encoding \(encoding) zero-point row \(r)")
                }
            }
        }
    }

    /// Per-row quantization: every value within half a step of its input, zero rows all zero,
    /// constant rows exact, outlier columns copied out and quantized to the zero point.
    @Test(arguments: activationRanges)
    func quantizationRoundTrips(qmax: Int32, encoding: Int32) {
        var random = TestRandom(state: 3)
        let size = Int(clipkit_int8_value_bytes(encoding))
        let k = 37
        let lda = Int(clipkit_int8_padded_k(k))  // in values
        var x = [Float](repeating: 0, count: 4 * k)
        for i in 0..<k { x[i] = random.unit() * 3 }               // mixed signs
        for i in 0..<k { x[k + i] = 0 }                           // zero row
        for i in 0..<k { x[2 * k + i] = 1.25 }                    // constant row
        for i in 0..<k { x[3 * k + i] = random.unit() * 0.1 }     // small, with outliers below
        x[3 * k + 5] = 400; x[3 * k + 30] = -250
        let columns: [Int32] = [5, 30]
        var values = [UInt8](repeating: 0, count: 4 * lda * size)
        var scales = [Float](repeating: 0, count: 4)
        var zeros = [Int32](repeating: 0, count: 4)
        var outliers = [Float](repeating: 0, count: 4 * 2)
        var scratch = [Float](repeating: 0, count: k)
        // Rows 0-2 without outliers, row 3 with.
        clipkit_quantize_rows(x, 3, k, k, qmax, encoding, nil, 0, &scratch, &values, lda * size, &scales, &zeros,
                              &outliers)
        x.withUnsafeBufferPointer { all in
            values.withUnsafeMutableBytes { v in
                clipkit_quantize_rows(all.baseAddress! + 3 * k, 1, k, k, qmax, encoding, columns, 2, &scratch,
                                      v.baseAddress! + 3 * lda * size, lda * size, &scales[3], &zeros[3], &outliers)
            }
        }
        func value(_ r: Int, _ c: Int) -> Int32 { quantizedValue(values, encoding: encoding, r * lda + c) }
        func dequantized(_ r: Int, _ c: Int) -> Float { scales[r] * Float(value(r, c) - zeros[r]) }
        for r in [0, 2, 3] {
            for c in 0..<k where !(r == 3 && columns.contains(Int32(c))) {
                #expect(abs(dequantized(r, c) - x[r * k + c]) <= scales[r] * 0.5001, "row \(r) column \(c)")
                #expect(value(r, c) <= qmax)
            }
        }
        #expect(scales[1] == 1 && zeros[1] == 0 && (0..<k).allSatisfy { value(1, $0) == 0 })
        #expect(abs(dequantized(2, 0) - 1.25) <= 1.25 / Float(qmax))
        #expect(outliers[0] == 400 && outliers[1] == -250)
        #expect(value(3, 5) == zeros[3] && value(3, 30) == zeros[3])
        #expect(scales[3] < 0.2 / Float(qmax) * 1.01, "outliers must not set the step: \(scales[3])")
    }

    /// The vector quantizer this CPU (or `CLIPKIT_KERNEL`) selects equals the scalar reference
    /// byte for byte: odd widths (vector tails), rows with a NaN or an infinity, zero and
    /// constant rows, every activation range and encoding, with and without outlier columns.
    @Test(arguments: activationRanges)
    func quantizationEqualsTheScalarReference(qmax: Int32, encoding: Int32) {
        var random = TestRandom(state: 11)
        let size = Int(clipkit_int8_value_bytes(encoding))
        for k in [1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 100, 768, 3077] {
            let rows = 6
            let lda = (Int(clipkit_int8_padded_k(k)) + 8) * size  // bytes
            var x = (0..<(rows * k)).map { _ in random.unit() * 4 }
            for i in 0..<k { x[k + i] = 0 }                        // zero row
            for i in 0..<k { x[2 * k + i] = -0.75 }                // constant row
            x[3 * k + k / 2] = .nan                                // NaN: skipped by min/max
            x[4 * k + k / 3] = .infinity                           // not finite: zeros
            let columns: [Int32] = k > 4 ? [0, Int32(k / 2 + 1 < k ? k / 2 + 1 : 1), Int32(k - 1)] : []
            func run(_ quantize: (UnsafePointer<Float>, Int, Int, Int, Int32, Int32, UnsafePointer<Int32>?, Int,
                                  UnsafeMutablePointer<Float>, UnsafeMutableRawPointer, Int,
                                  UnsafeMutablePointer<Float>, UnsafeMutablePointer<Int32>,
                                  UnsafeMutablePointer<Float>) -> Void,
                     outlierColumns: [Int32]) -> ([UInt8], [Float], [Int32], [Float]) {
                var values = [UInt8](repeating: 0xAB, count: rows * lda)
                var scales = [Float](repeating: -1, count: rows)
                var zeros = [Int32](repeating: -1, count: rows)
                var outliers = [Float](repeating: 0, count: max(1, rows * outlierColumns.count))
                var scratch = [Float](repeating: 0, count: k)
                quantize(x, rows, k, k, qmax, encoding, outlierColumns, outlierColumns.count, &scratch, &values, lda,
                         &scales, &zeros, &outliers)
                return (values, scales, zeros, outliers)
            }
            for outlierColumns in [[], columns] {
                let actual = run(clipkit_quantize_rows, outlierColumns: outlierColumns)
                let expected = run(clipkit_quantize_rows_reference, outlierColumns: outlierColumns)
                #expect(actual.0 == expected.0, "k \(k), \(outlierColumns.count) outlier columns: values")
                #expect(actual.1.map(\.bitPattern) == expected.1.map(\.bitPattern), "k \(k): scales")
                #expect(actual.2 == expected.2, "k \(k): zero points")
                #expect(actual.3.map(\.bitPattern) == expected.3.map(\.bitPattern), "k \(k): outliers")
            }
        }
    }

    /// The fused layer norm + quantization quantizes exactly what the fp32 layer norm writes.
    @Test(arguments: activationRanges)
    func fusedLayerNormQuantizesTheLayerNorm(qmax: Int32, encoding: Int32) {
        var random = TestRandom(state: 4)
        let size = Int(clipkit_int8_value_bytes(encoding))
        let rows = 5, k = 45
        let lda = Int(clipkit_int8_padded_k(k)) * size  // bytes
        let x = (0..<(rows * k)).map { _ in random.unit() * 4 + 1 }
        var gamma = (0..<k).map { _ in 1 + random.unit() * 0.1 }
        gamma[7] = 50
        let beta = (0..<k).map { _ in random.unit() * 0.1 }
        var normed = [Float](repeating: 0, count: rows * k)
        clipkit_layer_norm(x, rows, k, gamma, beta, 1e-5, &normed)
        var scratch = [Float](repeating: 0, count: k)
        var expected = [UInt8](repeating: 0, count: rows * lda), actual = expected
        var s1 = [Float](repeating: 0, count: rows), s2 = s1
        var z1 = [Int32](repeating: 0, count: rows), z2 = z1
        var o1 = [Float](repeating: 0, count: rows), o2 = o1
        let columns: [Int32] = [7]
        clipkit_quantize_rows(normed, rows, k, k, qmax, encoding, columns, 1, &scratch, &expected, lda, &s1, &z1, &o1)
        clipkit_layer_norm_quantize(x, rows, k, gamma, beta, 1e-5, qmax, encoding, columns, 1, &scratch, &actual,
                                    lda, &s2, &z2, &o2)
        #expect(z1 == z2)
        #expect(relativeError(s2, s1) < 1e-6)
        #expect(relativeError(o2, o1) < 1e-5)
        let differing = (0..<(rows * lda / size)).filter {
            abs(quantizedValue(expected, encoding: encoding, $0) - quantizedValue(actual, encoding: encoding, $0)) > 1
        }.count
        #expect(differing == 0, "values more than one step apart: \(differing)")
    }

    /// Outlier columns: the fp32 side product in the epilogue plus the int8 rest equals the
    /// reference on the rest plus Σ outlier · weight.
    @Test func int8OutlierColumnsAreComputedInFP32() {
        var random = TestRandom(state: 5)
        let m = 6, n = 45, k = 40
        let columns: [Int32] = [3, 17, 39]
        var w = (0..<(n * k)).map { _ in random.unit() * 0.05 }
        for c in columns { for r in 0..<n { w[r * k + Int(c)] = random.unit() * 5 } }
        let x = (0..<(m * k)).map { _ in random.unit() }
        var packed = [Int8](repeating: 0, count: clipkit_int8_packed_size(n, k))
        var scales = [Float](repeating: 0, count: n), sums = [Int32](repeating: 0, count: n)
        clipkit_int8_pack(w, n, k, columns, columns.count, clipkit_int8_weight_max(Int32(CLIPKIT_INT8_SCALAR)),
                          &packed, &scales, &sums)
        var outlierWeights = [Float](repeating: 0, count: clipkit_padded_n(n) * columns.count)
        clipkit_pack_outlier_columns(w, n, k, columns, columns.count, &outlierWeights)
        for variant in Self.int8Supported.map(\.0) {
            let qmax = clipkit_int8_activation_max(variant, k)
            let encoding = clipkit_int8_activation_encoding(variant)
            let lda = Int(clipkit_int8_padded_k(k)) * Int(clipkit_int8_value_bytes(encoding))  // bytes
            var values = [UInt8](repeating: 0, count: m * lda)
            var rowScales = [Float](repeating: 0, count: m), zeros = [Int32](repeating: 0, count: m)
            var outliers = [Float](repeating: 0, count: m * columns.count)
            var scratch = [Float](repeating: 0, count: k)
            clipkit_quantize_rows(x, m, k, k, qmax, encoding, columns, columns.count, &scratch, &values, lda,
                                  &rowScales, &zeros, &outliers)
            var out = [Float](repeating: 0, count: m * n)
            values.withUnsafeBytes { v in
                rowScales.withUnsafeBufferPointer { s in
                    zeros.withUnsafeBufferPointer { z in
                        outliers.withUnsafeBufferPointer { o in
                            packed.withUnsafeBufferPointer { p in
                                scales.withUnsafeBufferPointer { ps in
                                    sums.withUnsafeBufferPointer { su in
                                        outlierWeights.withUnsafeBufferPointer { ow in
                                            var rows = clipkit_quantized_rows(values: v.baseAddress, lda: lda, encoding: encoding,
                                                                              scales: s.baseAddress, zero_points: z.baseAddress,
                                                                              outliers: o.baseAddress)
                                            var weights = clipkit_int8_weights(packed: p.baseAddress, scales: ps.baseAddress,
                                                                               sums: su.baseAddress, outlier_weights: ow.baseAddress,
                                                                               outlier_count: columns.count, n: n, k: k)
                                            clipkit_int8_gemm(variant, &rows, m, &weights, 0, n, nil, 0, 0, &out, n)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            // fp32 product: the outlier columns are exact, the rest within int8 error.
            var exact = [Float](repeating: 0, count: m * n)
            for r in 0..<m {
                for c in 0..<n { exact[r * n + c] = (0..<k).reduce(0) { $0 + x[r * k + $1] * w[c * k + $1] } }
            }
            #expect(relativeError(out, exact) < 0.01, "variant \(variant): \(relativeError(out, exact))")
        }
    }

    /// Every bf16 variant against the scalar kernel on odd shapes: the widening variants read
    /// the same fp32 activations (1e-5 relative: summation order), vdpbf16ps reads them rounded
    /// to bf16 and is compared with the scalar kernel over those rounded values.
    @Test func bf16VariantsMatchTheScalarKernel() {
        var random = TestRandom(state: 6)
        for (variant, name) in Self.bf16Supported {
            let rounds = clipkit_bf16_rounds_activations(variant) != 0
            for shape in oddShapes {
                let (m, n, k) = shape
                let w = (0..<(n * k)).map { _ in random.unit() * 0.1 }
                var x = (0..<(m * k)).map { _ in random.unit() }
                if m > 2 { for c in 0..<k { x[k + c] = 0; x[2 * k + c] = 0.75 } }  // zero and constant rows
                let bias = (0..<n).map { _ in random.unit() }
                let ld = Int(clipkit_bf16_padded_k(k))
                var x16 = [UInt16](repeating: 0, count: m * ld)
                clipkit_bf16_convert_rows(x, m, k, k, &x16, ld)
                let reference = rounds ? (0..<(m * k)).map { Float(bitPattern: UInt32(x16[($0 / k) * ld + $0 % k]) << 16) } : x
                // Without and with fp32 outlier columns (first and last; the scalar kernel reads
                // the same rounded activations for the bf16 part but not for those columns).
                for outliers in [[], Array(Set([0, Int32(k - 1)])).sorted()] {
                    let layer = BF16Layer(w, n: n, k: k, outliers: outliers)
                    for activation in [Int32(CLIPKIT_ACTIVATION_NONE), Int32(CLIPKIT_ACTIVATION_QUICK_GELU)] {
                        var expected = [Float](repeating: 0.25, count: m * n), actual = expected
                        var mixed = reference
                        for r in 0..<m { for c in outliers { mixed[r * k + Int(c)] = x[r * k + Int(c)] } }
                        layer.gemm(Int32(CLIPKIT_BF16_SCALAR), mixed, nil, ld16: 0, m: m, columns: 0..<n, bias: bias,
                                   activation: activation, into: &expected)
                        let split = min(n, 32)
                        layer.gemm(variant, x, x16, ld16: ld, m: m, columns: 0..<split, bias: bias, activation: activation,
                                   into: &actual)
                        layer.gemm(variant, x, x16, ld16: ld, m: m, columns: split..<n, bias: bias, activation: activation,
                                   into: &actual)
                        let error = relativeError(actual, expected)
                        #expect(error <= 1e-5, "\(name) \(shape) outliers \(outliers) activation \(activation): \(error)")
                    }
                }
            }
        }
    }

    /// Outlier columns are computed in fp32 by every variant: with every other weight and
    /// activation exactly representable in bf16, a product whose outlier columns hold ×50
    /// activations and weights bf16 cannot represent comes out as in fp32 (1e-6 relative, the
    /// summation order), where the same layer packed without outlier columns is off by far more.
    @Test func bf16OutlierColumnsAreExactInFP32() {
        var random = TestRandom(state: 21)
        let (m, n, k) = (11, 70, 96)
        let outliers: [Int32] = [5, 40, 95]
        func bf16(_ x: Float) -> Float { Float(bitPattern: UInt32(clipkit_bf16_from_float(x)) << 16) }
        var w = (0..<(n * k)).map { _ in bf16(random.unit() * 0.1) }
        var x = (0..<(m * k)).map { _ in bf16(random.unit()) }
        for r in 0..<n { for c in outliers { w[r * k + Int(c)] = random.unit() * 0.1 } }
        for r in 0..<m { for c in outliers { x[r * k + Int(c)] = 50 * random.unit() } }
        var exact = [Float](repeating: 0, count: m * n)
        for r in 0..<m {
            for c in 0..<n {
                exact[r * n + c] = Float((0..<k).reduce(0.0) { $0 + Double(x[r * k + $1]) * Double(w[c * k + $1]) })
            }
        }
        let ld = Int(clipkit_bf16_padded_k(k))
        var x16 = [UInt16](repeating: 0, count: m * ld)
        clipkit_bf16_convert_rows(x, m, k, k, &x16, ld)
        let kept = BF16Layer(w, n: n, k: k, outliers: outliers), rounded = BF16Layer(w, n: n, k: k)
        for (variant, name) in Self.bf16Supported {
            var withColumns = [Float](repeating: 0, count: m * n), without = withColumns
            kept.gemm(variant, x, x16, ld16: ld, m: m, columns: 0..<n, bias: nil, activation: 0, into: &withColumns)
            rounded.gemm(variant, x, x16, ld16: ld, m: m, columns: 0..<n, bias: nil, activation: 0, into: &without)
            #expect(relativeError(withColumns, exact) <= 1e-6, "\(name): \(relativeError(withColumns, exact))")
            #expect(relativeError(without, exact) >= 1e-4, "\(name) without outlier columns: \(relativeError(without, exact))")
        }
    }

    /// bf16 rounding is to nearest, ties to even; BF16 checkpoint bytes pack as they are.
    @Test func bf16RoundsToNearestEven() {
        #expect(clipkit_bf16_from_float(1.0) == 0x3F80)
        #expect(clipkit_bf16_from_float(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie → even
        #expect(clipkit_bf16_from_float(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie → even
        #expect(clipkit_bf16_from_float(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(clipkit_bf16_from_float(-2.5) == 0xC020)
        #expect(clipkit_bf16_from_float(.nan) & 0x7FC0 == 0x7FC0)
        let raw: [UInt16] = (0..<(5 * 7)).map { UInt16(0x3C00 + $0 * 3) }
        let floats = raw.map { Float(bitPattern: UInt32($0) << 16) }
        var fromRaw = [UInt16](repeating: 0, count: clipkit_bf16_packed_count(5, 7)), fromFloats = fromRaw
        clipkit_bf16_pack_raw(raw, 5, 7, nil, 0, &fromRaw)
        clipkit_bf16_pack_f32(floats, 5, 7, nil, 0, &fromFloats)
        #expect(fromRaw == fromFloats)
        // Outlier columns pack the same from both, and their widened fp32 weights are exact.
        let columns: [Int32] = [1, 6]
        var rawColumns = [Float](repeating: -1, count: clipkit_padded_n(5) * 2), floatColumns = rawColumns
        clipkit_pack_outlier_columns_bf16(raw, 5, 7, columns, 2, &rawColumns)
        clipkit_pack_outlier_columns(floats, 5, 7, columns, 2, &floatColumns)
        #expect(rawColumns == floatColumns)
        #expect(rawColumns[32 + 4] == floats[4 * 7 + 6])
    }

    /// Packing split into 16-row ranges (as the workers do at load) gives the same bytes,
    /// scales and sums as one call, with outlier columns and an output count that leaves
    /// padding panels; ranges that are not 16-aligned or run past the rows write nothing.
    @Test func packingByRowRangesMatchesOneCall() {
        var random = TestRandom(state: 11)
        let n = 45, k = 37
        let columns: [Int32] = [2, 30]
        let w = (0..<(n * k)).map { _ in random.unit() }
        var whole = [Int8](repeating: 0, count: clipkit_int8_packed_size(n, k))
        var scales = [Float](repeating: 0, count: n), sums = [Int32](repeating: 0, count: n)
        clipkit_int8_pack(w, n, k, columns, columns.count, 127, &whole, &scales, &sums)
        // Garbage first: every byte must be written by some range.
        var split = [Int8](repeating: 99, count: whole.count)
        var splitScales = [Float](repeating: -1, count: n), splitSums = [Int32](repeating: -1, count: n)
        for start in stride(from: 0, to: n, by: 16) {
            clipkit_int8_pack_rows(w, n, k, columns, columns.count, 127, start, min(n, start + 16),
                                   &split, &splitScales, &splitSums)
        }
        #expect(split == whole)
        #expect(splitScales == scales)
        #expect(splitSums == sums)
        var untouched = [Int8](repeating: 99, count: whole.count)
        clipkit_int8_pack_rows(w, n, k, columns, columns.count, 127, 8, 24, &untouched, &splitScales, &splitSums)
        clipkit_int8_pack_rows(w, n, k, columns, columns.count, 127, 32, n + 1, &untouched, &splitScales, &splitSums)
        #expect(untouched.allSatisfy { $0 == 99 })

        let floats = (0..<(n * k)).map { _ in random.unit() }
        var bf16Whole = [UInt16](repeating: 0, count: clipkit_bf16_packed_count(n, k)), bf16All = bf16Whole
        clipkit_bf16_pack_f32(floats, n, k, columns, columns.count, &bf16Whole)
        clipkit_bf16_pack_f32(floats, n, k, nil, 0, &bf16All)
        var bf16Split = [UInt16](repeating: 0xFFFF, count: bf16Whole.count)
        let raw = floats.map { clipkit_bf16_from_float($0) }
        var rawSplit = bf16Split
        for start in stride(from: 0, to: n, by: 16) {
            clipkit_bf16_pack_f32_rows(floats, n, k, columns, columns.count, start, min(n, start + 16), &bf16Split)
            clipkit_bf16_pack_raw_rows(raw, n, k, columns, columns.count, start, min(n, start + 16), &rawSplit)
        }
        #expect(bf16Split == bf16Whole)
        #expect(rawSplit == bf16Whole)
        // The skipped columns, and only they, are zero: packed index of (row, column) in 16-row
        // panels of column pairs.
        let groups = (k + 1) / 2
        func index(_ row: Int, _ column: Int) -> Int { ((row / 16) * groups + column / 2) * 32 + (row % 16) * 2 + column % 2 }
        for row in 0..<n {
            for column in 0..<k {
                let skipped = columns.contains(Int32(column))
                #expect(bf16Whole[index(row, column)] == (skipped ? 0 : bf16All[index(row, column)]))
            }
        }
    }

    /// The AVX2 int8 probe times its multiplies, not just its additions: vpmaddwd retires about
    /// twice the multiply-adds of fp32 FMAs on every x86 core (16 per instruction against 8, two
    /// multiply pipes either way). A probe whose multiplies the compiler hoisted out of the loop
    /// measured 6.6× on a Zen 3; the bound, 3×, leaves room for any core's mix. Thread CPU time, best of
    /// alternating short runs, so a busy machine does not skew the ratio.
    @Test(.enabled(if: clipkit_int8_supported(Int32(CLIPKIT_INT8_AVX2)) != 0
                   && clipkit_fp32_supported(Int32(CLIPKIT_FP32_AVX2)) != 0))
    func int8AVX2ProbeTimesItsMultiplies() {
        func threadSeconds() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
        }
        var sink = 0.0
        var int8Rate = 0.0, fp32Rate = 0.0
        for _ in 0..<5 {
            var start = threadSeconds()
            var operations = clipkit_int8_dot_probe(Int32(CLIPKIT_INT8_AVX2), 200_000, &sink)
            int8Rate = max(int8Rate, operations / max(threadSeconds() - start, 1e-9))
            start = threadSeconds()
            operations = clipkit_fp32_fma_probe(Int32(CLIPKIT_FP32_AVX2), 200_000, &sink)
            fp32Rate = max(fp32Rate, operations / max(threadSeconds() - start, 1e-9))
        }
        #expect(int8Rate > 0 && fp32Rate > 0)
        #expect(int8Rate < 3 * fp32Rate, "int8 \(int8Rate / 1e9) vs fp32 \(fp32Rate / 1e9) G/s")
    }

    /// The register-only probes count the operations of the variant they run (2 per
    /// multiply-add) and compute something; without AVX512-BF16 the dot kernel is never
    /// preferred.
    @Test func registerProbesCountTheirOperations() {
        var sink = 0.0
        let iterations = 1000
        for (variant, _) in Self.int8Supported {
            let operations = clipkit_int8_dot_probe(variant, iterations, &sink)
            let perIteration: Double = switch Int(variant) {
            // A 12-bit activation takes two vpdpbusd for one multiply-add of the model.
            case CLIPKIT_INT8_VNNI:
                clipkit_int8_activation_encoding(variant) == CLIPKIT_INT8_VALUES_U16_SPLIT ? 24 * 64 : 2 * 24 * 64
            case CLIPKIT_INT8_AVX2: 2 * 12 * 16
            default: 2 * 8
            }
            #expect(operations == perIteration * Double(iterations))
            #expect(sink != 0)
        }
        #expect(clipkit_bf16_dot_probe(Int32(CLIPKIT_BF16_SCALAR), iterations, &sink) == 2 * 8 * Double(iterations))
        if clipkit_bf16_supported(Int32(CLIPKIT_BF16_AVX512BF16)) != 0 {
            #expect(clipkit_bf16_dot_probe(Int32(CLIPKIT_BF16_AVX512BF16), iterations, &sink) == 2 * 24 * 32 * Double(iterations))
        } else {
            #expect(clipkit_bf16_dot_outpaces_fma() == 0)
        }
        #if canImport(CLIPKit)
        for precision in Precision.allCases {
            #expect(precision.registerPeakGOPS(threads: 1, repetitions: 1) > 0)
        }
        #endif
    }
}
