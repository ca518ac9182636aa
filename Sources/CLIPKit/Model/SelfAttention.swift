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

    /// `inputOutliers`: columns of the layer-norm output int8 / bf16 projections keep in fp32.
    init(_ scope: WeightScope, width: Int, headCount: Int, precision: Precision = .fp32,
         inputOutliers: [Int32] = []) throws {
        // Three products instead of one stacked matrix: stacking copied the weights (85 MB for
        // ViT-B/32) at every load, costing memory and cold-start time for no measurable speed.
        func projection(_ name: String, outliers: [Int32]) throws -> Linear {
            try Linear(scope.scoped(name), input: width, output: width, precision: precision,
                       outlierColumns: outliers)
        }
        query = try projection("q_proj", outliers: inputOutliers)
        key = try projection("k_proj", outliers: inputOutliers)
        value = try projection("v_proj", outliers: inputOutliers)
        outputProjection = try projection("out_proj", outliers: [])
        self.width = width
        self.headCount = headCount
    }

    /// Adds attention over the normalised input (prepared by the layer norm for `query`, which
    /// `key` and `value` share) to the residual stream `workspace.hidden`.
    func apply(_ input: LinearInput, layout: SequenceLayout, causal: Bool, workspace ws: Workspace) {
        attend(input, layout: layout, causal: causal, workspace: ws)
        project(rows: layout.tokenCount, workspace: ws)
    }

    /// The attention heads over the normalised input, into `workspace.context` [tokens, width]
    /// (everything but the output projection).
    func attend(_ input: LinearInput, layout: SequenceLayout, causal: Bool, workspace ws: Workspace) {
        let rows = layout.tokenCount
        let stride = 3 * width
        for (offset, projection) in [(0, query), (width, key), (2 * width, value)] {
            projection.apply(input, rows: rows, into: ws.qkv + offset, outputStride: stride)
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
            let keys = layout.keyLengths[sequence]
            clipkit_attention_head(q, q + width, q + 2 * width, stride, keys,
                                   headSize, scale, causal ? 1 : 0,
                                   ws.attentionScratch + worker * ws.attentionScratchCount,
                                   ws.context + start * width + head * headSize, width)
            // Query-only rows (masked padding) attend to the sequence's key rows alone.
            for row in keys..<layout.lengths[sequence] {
                Kernels.attendOneQuery(q + row * stride, keys: q + width, values: q + 2 * width, stride: stride,
                                       count: keys, headSize: headSize, scale: scale,
                                       into: ws.context + (start + row) * width + head * headSize)
            }
        }
    }

    /// Adds the output projection of the first `rows` rows of `workspace.context` to the same
    /// rows of the residual stream `workspace.hidden`.
    func project(rows: Int, workspace ws: Workspace) {
        let context = outputProjection.prepare(ws.context, rows: rows, workspace: ws)
        outputProjection.apply(context, rows: rows, into: ws.hidden, accumulate: true)
    }
}

/// The two-layer feed-forward block of a CLIP encoder layer (`mlp`).
struct MLP: Sendable {
    /// `fc1`. weight [intermediate, width]
    let up: Linear
    /// `fc2`. weight [width, intermediate]
    let down: Linear
    let activation: Activation

    /// `inputOutliers`: columns of the layer-norm output an int8 / bf16 `fc1` keeps in fp32.
    init(_ scope: WeightScope, width: Int, intermediateSize: Int, activation: Activation,
         precision: Precision = .fp32, inputOutliers: [Int32] = []) throws {
        up = try Linear(scope.scoped("fc1"), input: width, output: intermediateSize,
                        precision: precision, outlierColumns: inputOutliers)
        down = try Linear(scope.scoped("fc2"), input: intermediateSize, output: width,
                          precision: precision)
        self.activation = activation
    }

    /// Adds the MLP of the normalised input (prepared by the layer norm for `up`) to the
    /// residual stream `workspace.hidden`; bias and activation are fused into `up`'s product.
    func apply(_ input: LinearInput, rows: Int, workspace ws: Workspace) {
        let block = RowBlocks.rows
        if up.runsOnRowBlocks, down.runsOnRowBlocks, rows >= ws.workerCount * block {
            applyInRowBlocks(input, rows: rows, block: block, workspace: ws)
            return
        }
        up.apply(input, rows: rows, into: ws.intermediate, activation: activation)
        let hidden = down.prepare(ws.intermediate, rows: rows, workspace: ws)
        down.apply(hidden, rows: rows, into: ws.hidden, accumulate: true)
    }

    /// The same MLP, each worker taking its rows `block` at a time through `up`, the
    /// preparation of `down`'s input and `down`, so the [rows, intermediate] activations are
    /// read back from cache instead of memory. Exactly the products of the layer-at-a-time path.
    private func applyInRowBlocks(_ input: LinearInput, rows: Int, block: Int, workspace ws: Workspace) {
        // `down`'s prepared rows overwrite `up`'s input rows only after `up` has read them: the
        // workspace keeps one reduced-precision row per token, and each block is row-local.
        let hidden = down.input(ws.intermediate, workspace: ws)
        Parallel.dynamicBlocks(rows, block: block) { part, rowBlock in
            up.apply(input, rowsIn: rowBlock, into: ws.intermediate, activation: activation)
            down.prepare(ws.intermediate, rowsIn: rowBlock, part: part, workspace: ws)
            down.apply(hidden, rowsIn: rowBlock, into: ws.hidden, accumulate: true)
        }
    }
}
