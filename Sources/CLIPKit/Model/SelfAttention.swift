import CLIPKitKernels

/// Multi-head self-attention of a CLIP encoder layer (`self_attn`).
struct SelfAttention: Sendable {
    /// `q_proj`, `k_proj`, `v_proj`, each used in place from the checkpoint and written side by
    /// side into the `[tokens, 3 · width]` QKV buffer. weight [width, width] each
    let query: Linear
    let key: Linear
    let value: Linear
    /// `out_proj`. weight [width, width]
    let outputProjection: Linear
    let width: Int
    let headCount: Int
    var headSize: Int { width / headCount }

    init(_ scope: WeightScope, width: Int, headCount: Int) throws {
        // Three products instead of one stacked matrix: stacking copied the weights (85 MB for
        // ViT-B/32) at every load, costing memory and cold-start time for no measurable speed.
        query = try Linear(scope.scoped("q_proj"), input: width, output: width)
        key = try Linear(scope.scoped("k_proj"), input: width, output: width)
        value = try Linear(scope.scoped("v_proj"), input: width, output: width)
        outputProjection = try Linear(scope.scoped("out_proj"), input: width, output: width)
        self.width = width
        self.headCount = headCount
    }

    /// Adds attention over `workspace.normed` to the residual stream `workspace.hidden`.
    func apply(layout: SequenceLayout, causal: Bool, workspace ws: Workspace) {
        let rows = layout.tokenCount
        let stride = 3 * width
        for (offset, projection) in [(0, query), (width, key), (2 * width, value)] {
            projection.apply(ws.normed, rows: rows, into: ws.qkv + offset, outputStride: stride)
        }
        let headSize = headSize
        let scale = 1 / Float(headSize).squareRoot()
        // One (sequence, head) pair per item, spread over the cores; each worker has its own
        // scratch. The products are too small for BLAS (50×50×64 for ViT-B/32: the call and
        // threading overhead outweighed the arithmetic, see docs/performance.md).
        Parallel.forEach(layout.starts.count * headCount, workers: ws.workerCount) { worker, item in
            let (sequence, head) = item.quotientAndRemainder(dividingBy: headCount)
            let start = layout.starts[sequence]
            let q = ws.qkv + start * stride + head * headSize
            clipkit_attention_head(q, q + width, q + 2 * width, stride, layout.lengths[sequence],
                                   headSize, scale, causal ? 1 : 0,
                                   ws.attentionScratch + worker * ws.attentionScratchCount,
                                   ws.context + start * width + head * headSize, width)
        }
        outputProjection.apply(ws.context, rows: rows, into: ws.hidden, accumulate: true)
    }
}

/// The two-layer feed-forward block of a CLIP encoder layer (`mlp`).
struct MLP: Sendable {
    /// `fc1`. weight [intermediate, width]
    let up: Linear
    /// `fc2`. weight [width, intermediate]
    let down: Linear
    let activation: Activation

    init(_ scope: WeightScope, width: Int, intermediateSize: Int, activation: Activation) throws {
        up = try Linear(scope.scoped("fc1"), input: width, output: intermediateSize)
        down = try Linear(scope.scoped("fc2"), input: intermediateSize, output: width)
        self.activation = activation
    }

    /// Adds the MLP of `workspace.normed` to the residual stream `workspace.hidden`.
    func apply(rows: Int, workspace ws: Workspace) {
        up.product(ws.normed, rows: rows, into: ws.intermediate)
        Kernels.activate(ws.intermediate, rows: rows, columns: up.outputSize,
                         bias: up.bias?.pointer, activation)
        down.apply(ws.intermediate, rows: rows, into: ws.hidden, accumulate: true)
    }
}
