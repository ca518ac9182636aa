import CLIPKitKernels

/// A fully connected layer `y = x · Wᵀ + b` (PyTorch's `nn.Linear` layout), in fp32 (weights
/// packed for clipkit's own kernels, or on BLAS, as ``KernelVariants/fp32Packed`` decides) or
/// with int8 / bf16 weights on clipkit's own kernels (``Precision``). One forward path: callers
/// ``prepare(_:rows:workspace:)`` the input (a no-op for fp32) and ``apply(_:rows:into:accumulate:outputStride:activation:)``
/// it; the weights decide the arithmetic.
struct Linear: Sendable {
    let weights: LinearWeights
    /// [outputSize], or nil for bias-free projections.
    let bias: FloatStorage?
    let inputSize: Int
    let outputSize: Int

    /// Loads `weight` (and `bias`) under `scope`, keeping the weight in the form `precision`
    /// computes with (packed weights from the load's packed-weight cache where it has them).
    /// `outlierColumns` (ascending) are input columns an int8 or bf16 layer computes in fp32.
    /// `weightKey` and `biasKey` name the tensors where a checkpoint does not call them
    /// `weight` and `bias` (`torch.nn.MultiheadAttention`'s `in_proj_weight`). `weightShape`
    /// is the stored tensor's shape where it is not [output, input] but flattens to it in
    /// row-major order (a convolution's [output, channels, height, width] whose kernel covers
    /// its whole input patch).
    init(_ scope: WeightScope, input: Int, output: Int, hasBias: Bool = true,
         precision: Precision = .fp32, outlierColumns: [Int32] = [],
         weightKey: String = "weight", biasKey: String = "bias", weightShape: [Int]? = nil) throws {
        let shape = weightShape ?? [output, input]
        switch precision {
        case .fp32:
            if scope.loader.fp32Packed {
                weights = try scope.packedWeights(weightKey, shape: shape, kind: .fp32, output: output, input: input) {
                    .packedFP32(FP32Weights(try scope.tensor(weightKey, shape: shape), output: output, input: input))
                }
            } else {
                weights = .fp32(try scope.tensor(weightKey, shape: shape))
            }
        case .bf16:
            weights = try scope.packedWeights(weightKey, shape: shape, kind: .bf16, output: output, input: input,
                                              outlierColumns: outlierColumns) {
                let stored = try scope.storedTensor(weightKey, shape: shape)
                return .bf16(try BF16Weights(dtype: stored.dtype, bytes: stored.bytes,
                                             floats: { try scope.tensor(weightKey, shape: shape) },
                                             output: output, input: input, outlierColumns: outlierColumns))
            }
        case .int8:
            // Σ (a − z) w stays inside Int32 for any input width below 2^16 (255 · 127 · k; the
            // AVX2 kernel's wider activations shrink with k to stay so, see
            // clipkit_int8_activation_max); wider layers (none in CLIP) stay fp32.
            if input < 65_536 {
                weights = try scope.packedWeights(weightKey, shape: shape, kind: .int8, output: output, input: input,
                                                  outlierColumns: outlierColumns) {
                    .int8(Int8Weights(try scope.tensor(weightKey, shape: shape), output: output, input: input,
                                      outlierColumns: outlierColumns))
                }
            } else {
                weights = .fp32(try scope.tensor(weightKey, shape: shape))
            }
        }
        if case .fp32 = weights {} else {
            // The packed copy is all the layer reads from now on.
            scope.releaseStoredPages(weightKey)
        }
        bias = hasBias ? try scope.tensor(biasKey, shape: [output]) : nil
        inputSize = input
        outputSize = output
    }

    /// Bytes of weights this layer holds in its own memory (0 for fp32 used in place).
    var ownedWeightBytes: Int {
        switch weights {
        case .fp32: return 0
        case .packedFP32(let w): return w.byteCount
        case .bf16(let w): return w.byteCount
        case .int8(let w): return w.byteCount
        }
    }

    /// The fp32 rows `x` [rows, inputSize] in the form this layer multiplies: quantized per
    /// row into `workspace` for int8, rounded to bf16 when the bf16 kernel reads bf16.
    func prepare(_ x: UnsafePointer<Float>, rows: Int, workspace ws: Workspace) -> LinearInput {
        switch weights {
        case .fp32, .packedFP32: return .fp32(x)
        case .bf16, .int8: break
        }
        Parallel.rowParts(rows, grain: 16) { part, range in
            prepare(x, rowsIn: range, part: part, workspace: ws)
        }
        return input(x, workspace: ws)
    }

    /// Prepares rows `range` of `x` on the calling thread, into the same rows of the
    /// workspace's reduced-precision buffers; `part` (below the worker count) picks the scratch
    /// row. Rows outside `range` are untouched, so workers may prepare disjoint ranges at once.
    func prepare(_ x: UnsafePointer<Float>, rowsIn range: Range<Int>, part: Int, workspace ws: Workspace) {
        guard let buffers = ws.reduced, !range.isEmpty else { return }
        let k = inputSize
        switch weights {
        case .fp32, .packedFP32:
            return
        case .bf16:
            guard KernelVariants.bf16RoundsActivations else { return }
            let stride = buffers.rowBytes / 2
            let rounded = buffers.values.assumingMemoryBound(to: UInt16.self)
            clipkit_bf16_convert_rows(x + range.lowerBound * k, range.count, k, k,
                                      rounded + range.lowerBound * stride, stride)
        case .int8(let w):
            let lda = buffers.rowBytes
            w.outlierColumns.withUnsafeBufferPointer { columns in
                let count = columns.count
                clipkit_quantize_rows(x + range.lowerBound * k, range.count, k, k,
                                      KernelVariants.int8ActivationMax(inputWidth: k),
                                      KernelVariants.int8ActivationEncoding, columns.baseAddress, count,
                                      buffers.scratch + part * buffers.maxInput,
                                      buffers.values + range.lowerBound * lda,
                                      lda, buffers.scales + range.lowerBound,
                                      buffers.zeroPoints + range.lowerBound,
                                      buffers.outliers + range.lowerBound * count)
            }
        }
    }

    /// The input this layer reads once every row of `x` [rows, inputSize] is prepared.
    func input(_ x: UnsafePointer<Float>, workspace ws: Workspace) -> LinearInput {
        switch weights {
        case .fp32, .packedFP32:
            return .fp32(x)
        case .bf16:
            guard KernelVariants.bf16RoundsActivations, let buffers = ws.reduced else {
                return .bf16(x, rounded: nil, stride: 0)
            }
            return .bf16(x, rounded: buffers.values.assumingMemoryBound(to: UInt16.self),
                         stride: buffers.rowBytes / 2)
        case .int8:
            guard let buffers = ws.reduced else { return .fp32(x) }
            return .int8(buffers.quantizedRows)
        }
    }

    /// Whether a product over a few rows runs at full speed on one core: true for int8 and bf16
    /// (weights packed once, no threading inside), false for fp32 (BLAS packs and threads each
    /// call; packed fp32 weights are 4 bytes per value, so re-reading them for every small row
    /// block would cost more memory traffic than keeping the layer-at-a-time schedule).
    /// Callers then run whole row blocks through several layers while they are in cache.
    var runsOnRowBlocks: Bool {
        switch weights {
        case .fp32, .packedFP32: return false
        case .bf16, .int8: return true
        }
    }

    /// `out[rows, outputSize] = activation(x · Wᵀ + b)`; with `accumulate`, the result is added
    /// to what `out` holds (a fused residual connection; not combined with an activation).
    /// Rows of `out` lie `outputStride` floats apart (default `outputSize`), so a layer can fill
    /// a column block of a wider buffer (Q, K and V side by side). `input` must come from this
    /// layer's (or a layer of the same precision and outlier columns) ``prepare(_:rows:workspace:)``.
    func apply(_ input: LinearInput, rows: Int, into out: UnsafeMutablePointer<Float>,
               accumulate: Bool = false, outputStride: Int? = nil, activation: Activation? = nil) {
        let stride = outputStride ?? outputSize
        if case .fp32(let x) = input, case .fp32(let weight) = weights {
            applyFP32(x, weight: weight, rows: rows, into: out, accumulate: accumulate, stride: stride,
                      activation: activation)
            return
        }
        Parallel.productBlocks(rows: rows, columns: outputSize, rowBlock: rowBlock) { rowRange, columns in
            applyPacked(input, rowsIn: rowRange, columns: columns, into: out, accumulate: accumulate,
                        stride: stride, activation: activation)
        }
    }

    /// ``apply(_:rows:into:accumulate:outputStride:activation:)`` for rows `range` only, every
    /// column, on the calling thread (int8 and bf16 layers: see ``runsOnRowBlocks``).
    func apply(_ input: LinearInput, rowsIn range: Range<Int>, into out: UnsafeMutablePointer<Float>,
               accumulate: Bool = false, activation: Activation? = nil) {
        if case .fp32(let x) = input, case .fp32(let weight) = weights {
            let first = range.lowerBound
            applyFP32(x + first * inputSize, weight: weight, rows: range.count, into: out + first * outputSize,
                      accumulate: accumulate, stride: outputSize, activation: activation)
            return
        }
        applyPacked(input, rowsIn: range, columns: 0..<outputSize, into: out, accumulate: accumulate,
                    stride: outputSize, activation: activation)
    }

    /// Rows per claim when the workers split a product by rows (packed fp32 only).
    private var rowBlock: Int? {
        guard case .packedFP32 = weights else { return nil }
        return KernelVariants.fp32RowBlock
    }

    /// The packed fp32 / int8 / bf16 product of rows `rows` and output columns `columns`
    /// (starting at a multiple of 32), on the calling thread.
    private func applyPacked(_ input: LinearInput, rowsIn rows: Range<Int>, columns: Range<Int>,
                             into out: UnsafeMutablePointer<Float>, accumulate: Bool, stride: Int,
                             activation: Activation?) {
        guard !rows.isEmpty, !columns.isEmpty else { return }
        let code = Self.activationCode(activation)
        let accumulateFlag: Int32 = accumulate ? 1 : 0
        let first = rows.lowerBound
        switch (weights, input) {
        case (.int8(let w), .int8(let all)):
            var descriptor = w.descriptor
            let count = w.outlierColumns.count
            var q = clipkit_quantized_rows(values: all.values + first * all.lda, lda: all.lda,
                                           encoding: all.encoding, scales: all.scales + first, zero_points: all.zero_points + first,
                                           outliers: all.outliers + first * count)
            withExtendedLifetime(w) {
                clipkit_int8_gemm(KernelVariants.int8, &q, rows.count, &descriptor, columns.lowerBound,
                                  columns.upperBound, bias?.pointer, code, accumulateFlag,
                                  out + first * stride, stride)
            }
        case (.packedFP32(let w), .fp32(let x)):
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, clipkit_fp32_scratch_count(inputSize)))
            defer { scratch.deallocate() }
            withExtendedLifetime(w) {
                clipkit_fp32_gemm(KernelVariants.fp32, x + first * inputSize, inputSize, rows.count, w.packed,
                                  outputSize, inputSize, columns.lowerBound, columns.upperBound, bias?.pointer,
                                  code, accumulateFlag, out + first * stride, stride, scratch)
            }
        case (.bf16(let w), .bf16(let x, let rounded, let roundedStride)):
            w.withDescriptor { descriptor in
                clipkit_bf16_gemm(KernelVariants.bf16, x + first * inputSize, inputSize,
                                  rounded.map { $0 + first * roundedStride }, roundedStride, rows.count,
                                  descriptor, columns.lowerBound, columns.upperBound,
                                  bias?.pointer, code, accumulateFlag, out + first * stride, stride)
            }
        default:
            // allowed: internal invariant; inputs are prepared by a layer of the same precision.
            assertionFailure("linear layer input prepared for another precision")
        }
    }

    private static func activationCode(_ activation: Activation?) -> Int32 {
        switch activation {
        case nil: return Int32(CLIPKIT_ACTIVATION_NONE)
        case .quickGELU: return Int32(CLIPKIT_ACTIVATION_QUICK_GELU)
        case .gelu: return Int32(CLIPKIT_ACTIVATION_GELU)
        case .geluTanh: return Int32(CLIPKIT_ACTIVATION_GELU_TANH)
        }
    }

    /// fp32 on BLAS. Without an activation the bias seeds `out` so BLAS adds the product to it
    /// (beta = 1), one pass.
    private func applyFP32(_ x: UnsafePointer<Float>, weight: FloatStorage, rows: Int,
                           into out: UnsafeMutablePointer<Float>, accumulate: Bool, stride: Int,
                           activation: Activation?) {
        if let activation {
            product(x, weight: weight, rows: rows, into: out, beta: 0, outputStride: stride)
            Kernels.activate(out, rows: rows, columns: outputSize, bias: bias?.pointer, activation)
            return
        }
        var beta: Float = accumulate ? 1 : 0
        if let bias {
            for r in 0..<rows {
                let row = out + r * stride
                if accumulate {
                    for i in 0..<outputSize { row[i] += bias.pointer[i] }
                } else {
                    row.update(from: bias.pointer, count: outputSize)
                }
            }
            beta = 1
        }
        product(x, weight: weight, rows: rows, into: out, beta: beta, outputStride: stride)
    }

    /// `out = x · Wᵀ + beta · out` on BLAS.
    private func product(_ x: UnsafePointer<Float>, weight: FloatStorage, rows: Int,
                         into out: UnsafeMutablePointer<Float>, beta: Float, outputStride: Int) {
        BLAS.gemmTransposedB(m: rows, n: outputSize, k: inputSize, a: x, lda: inputSize,
                             b: weight.pointer, ldb: inputSize, beta: beta, c: out, ldc: outputStride)
    }
}

/// Layer normalisation with learned scale and shift.
struct LayerNorm: Sendable {
    /// [width]
    let weight: FloatStorage
    /// [width]
    let bias: FloatStorage
    let width: Int
    let epsilon: Float

    init(_ scope: WeightScope, width: Int, epsilon: Float) throws {
        weight = try scope.tensor("weight", shape: [width])
        bias = try scope.tensor("bias", shape: [width])
        self.width = width
        self.epsilon = epsilon
    }

    func apply(_ x: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>) {
        Kernels.layerNorm(x, rows: rows, width: width, gamma: weight.pointer, beta: bias.pointer,
                          epsilon: epsilon, into: out)
    }

    /// Normalises `x` for `consumer`: for int8 the normalisation and the per-row quantization
    /// are one pass (each row normalised into a per-worker scratch row and quantized from there,
    /// `out` untouched); otherwise into `out`, then prepared as `consumer` needs.
    func apply(_ x: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>,
               preparingFor consumer: Linear, workspace ws: Workspace) -> LinearInput {
        guard case .int8(let w) = consumer.weights, let buffers = ws.reduced else {
            apply(x, rows: rows, into: out)
            return consumer.prepare(out, rows: rows, workspace: ws)
        }
        let k = width
        let q = buffers.quantizedRows
        w.outlierColumns.withUnsafeBufferPointer { columns in
            Parallel.rowParts(rows, grain: 16) { part, range in
                let count = columns.count
                clipkit_layer_norm_quantize(x + range.lowerBound * k, range.count, k, weight.pointer,
                                            bias.pointer, epsilon, KernelVariants.int8ActivationMax(inputWidth: k),
                                            KernelVariants.int8ActivationEncoding, columns.baseAddress, count,
                                            buffers.scratch + part * buffers.maxInput,
                                            buffers.values + range.lowerBound * q.lda,
                                            q.lda, buffers.scales + range.lowerBound,
                                            buffers.zeroPoints + range.lowerBound,
                                            buffers.outliers + range.lowerBound * count)
            }
        }
        return .int8(q)
    }

    /// Input columns of the layers this norm feeds that an int8 or bf16 layer should keep in
    /// fp32 (``OutlierColumns``): those whose scale or shift is far above the rest (|γ| + |β|
    /// over 6× the median), at most ``KernelVariants/outlierColumnLimit`` (the largest),
    /// ascending. CLIP ViTs have a few such channels; in int8 one of them would otherwise set
    /// every token's quantization step, in bf16 its rounded weights would carry most of the error.
    func outlierColumns() -> [Int32] {
        let scores = (0..<width).map { abs(weight.pointer[$0]) + abs(bias.pointer[$0]) }
        let sorted = scores.sorted()
        guard !sorted.isEmpty else { return [] }
        let median = sorted[sorted.count / 2]
        let threshold = 6 * median
        let candidates = scores.indices.filter { scores[$0] > threshold }
            .sorted { scores[$0] > scores[$1] }
            .prefix(KernelVariants.outlierColumnLimit)
        return candidates.sorted().map { Int32($0) }
    }
}
