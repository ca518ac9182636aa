import CLIPKitKernels

/// Where the sequences of a batch lie in the flattened `[tokens, width]` activations.
///
/// The towers run all tokens of a batch through each matrix product at once; attention is the
/// only step that looks at sequences one by one. Text sequences keep their own lengths (no
/// padding), which is exact because CLIP pools at the end-of-text token under a causal mask.
struct SequenceLayout: Sendable {
    /// First token row of each sequence.
    let starts: [Int]
    /// Tokens in each sequence.
    let lengths: [Int]
    /// Rows in all.
    let tokenCount: Int
    /// The longest sequence.
    let maxLength: Int
    /// Rows of each sequence that are attended to (keys and values): the first `keyLengths[s]`.
    /// Equal to `lengths` except for masked padding, where the rows after them are queries only
    /// (see ``TextPadding/toLength(_:masked:)``).
    let keyLengths: [Int]

    /// A layout whose sequences attend to all their rows, or to their first `keyLengths` rows.
    init(lengths: [Int], keyLengths: [Int]? = nil) {
        var starts: [Int] = []
        starts.reserveCapacity(lengths.count)
        var total = 0
        for length in lengths {
            starts.append(total)
            total += length
        }
        self.starts = starts
        self.lengths = lengths
        self.tokenCount = total
        self.maxLength = lengths.max() ?? 0
        self.keyLengths = keyLengths ?? lengths
    }
}

/// Activation buffers for one forward pass, allocated once per batch and reused by every layer.
final class Workspace {
    /// The residual stream. [tokens, width]
    let hidden: UnsafeMutablePointer<Float>
    /// Layer-norm output fed to attention and MLP. [tokens, width]
    let normed: UnsafeMutablePointer<Float>
    /// Fused query, key and value projections. [tokens, 3 · width]
    let qkv: UnsafeMutablePointer<Float>
    /// Attention output before `out_proj`. [tokens, width]
    let context: UnsafeMutablePointer<Float>
    /// MLP hidden activations. [tokens, intermediate]
    let intermediate: UnsafeMutablePointer<Float>
    /// Per-worker scratch of the attention kernel (transposed keys and a block of scores).
    /// [workerCount, attentionScratchCount]
    let attentionScratch: UnsafeMutablePointer<Float>
    /// Floats of attention scratch per worker.
    let attentionScratchCount: Int
    /// Workers the attention scratch has room for.
    let workerCount: Int
    /// Quantized / bf16 activations of int8 and bf16 layers; nil for fp32 models.
    let reduced: ReducedPrecisionBuffers?

    private let all: [UnsafeMutablePointer<Float>]

    init(tokens: Int, width: Int, intermediateSize: Int, maxLength: Int, headSize: Int,
         precision: Precision = .fp32) {
        func make(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            p.initialize(repeating: 0, count: max(count, 1))
            return p
        }
        hidden = make(tokens * width)
        normed = make(tokens * width)
        qkv = make(tokens * 3 * width)
        context = make(tokens * width)
        intermediate = make(tokens * intermediateSize)
        attentionScratchCount = clipkit_attention_scratch_count(maxLength, headSize)
        workerCount = Parallel.workerCount
        attentionScratch = make(workerCount * attentionScratchCount)
        all = [hidden, normed, qkv, context, intermediate, attentionScratch]
        reduced = precision == .fp32 ? nil
            : ReducedPrecisionBuffers(tokens: tokens, maxInput: max(width, intermediateSize),
                                      workers: workerCount)
    }

    deinit {
        for p in all { p.deallocate() }
    }
}

/// Activations of one int8 / bf16 product input, reused by every layer: quantized rows (u8 or
/// u16 values, as the int8 kernel reads them) or bf16 rows, their per-row scale and zero point,
/// the fp32 outlier columns, and a scratch row per worker for the fused layer norm.
final class ReducedPrecisionBuffers {
    /// Most outlier columns a layer keeps in fp32.
    static let maxOutliers = 8

    /// Quantized rows or bf16 rows, `rowBytes` apart. [tokens, rowBytes]
    let values: UnsafeMutableRawPointer
    /// Bytes per row: room for the widest input, padded to the int8 group of 4, at 2 bytes per
    /// value (u16 activations or bf16); a multiple of 64.
    let rowBytes: Int
    /// [tokens]
    let scales: UnsafeMutablePointer<Float>
    /// [tokens]
    let zeroPoints: UnsafeMutablePointer<Int32>
    /// [tokens, maxOutliers]
    let outliers: UnsafeMutablePointer<Float>
    /// [workers, maxInput]
    let scratch: UnsafeMutablePointer<Float>
    let maxInput: Int

    init(tokens: Int, maxInput: Int, workers: Int) {
        self.maxInput = maxInput
        rowBytes = (2 * clipkit_int8_padded_k(maxInput) + 63) / 64 * 64
        values = .allocate(byteCount: max(64, tokens * rowBytes), alignment: 64)
        values.initializeMemory(as: UInt8.self, repeating: 0, count: max(64, tokens * rowBytes))
        scales = .allocate(capacity: max(1, tokens))
        scales.initialize(repeating: 0, count: max(1, tokens))
        zeroPoints = .allocate(capacity: max(1, tokens))
        zeroPoints.initialize(repeating: 0, count: max(1, tokens))
        outliers = .allocate(capacity: max(1, tokens * Self.maxOutliers))
        outliers.initialize(repeating: 0, count: max(1, tokens * Self.maxOutliers))
        scratch = .allocate(capacity: max(1, workers * maxInput))
        scratch.initialize(repeating: 0, count: max(1, workers * maxInput))
    }

    deinit {
        values.deallocate()
        scales.deallocate()
        zeroPoints.deallocate()
        outliers.deallocate()
        scratch.deallocate()
    }

    /// The quantized rows an int8 layer reads (values of the int8 kernel's size).
    var quantizedRows: clipkit_quantized_rows {
        clipkit_quantized_rows(values: values, lda: rowBytes, encoding: KernelVariants.int8ActivationEncoding,
                               scales: scales, zero_points: zeroPoints, outliers: outliers)
    }
}
