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

    init(lengths: [Int]) {
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

    private let all: [UnsafeMutablePointer<Float>]

    init(tokens: Int, width: Int, intermediateSize: Int, maxLength: Int, headSize: Int) {
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
    }

    deinit {
        for p in all { p.deallocate() }
    }
}
