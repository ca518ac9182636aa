import CLIPKitKernels

/// Multi-head self-attention of a CLIP encoder layer (`self_attn`).
struct SelfAttention: Sendable {
    /// `q_proj`, `k_proj`, `v_proj` stacked into one product. weight [3 · width, width]
    let inputProjection: Linear
    /// `out_proj`. weight [width, width]
    let outputProjection: Linear
    let width: Int
    let headCount: Int
    var headSize: Int { width / headCount }

    init(_ scope: WeightScope, width: Int, headCount: Int) throws {
        let query = try Linear(scope.scoped("q_proj"), input: width, output: width)
        let key = try Linear(scope.scoped("k_proj"), input: width, output: width)
        let value = try Linear(scope.scoped("v_proj"), input: width, output: width)
        inputProjection = Linear(concatenating: [query, key, value])
        outputProjection = try Linear(scope.scoped("out_proj"), input: width, output: width)
        self.width = width
        self.headCount = headCount
    }

    /// Adds attention over `workspace.normed` to the residual stream `workspace.hidden`.
    func apply(layout: SequenceLayout, causal: Bool, workspace ws: Workspace) {
        let rows = layout.tokenCount
        inputProjection.apply(ws.normed, rows: rows, into: ws.qkv)
        let stride = 3 * width
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
