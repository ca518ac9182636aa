// Ports SiglipMultiheadAttentionPoolingHead of transformers 5.25 (models/siglip/modeling_siglip.py),
// whose attention is torch.nn.MultiheadAttention (batch_first, bias, no mask).

/// SigLIP's vision pooling (`vision_model.head`): a learned probe attends over all token states
/// of an image; the result goes through `x + mlp(layernorm(x))`.
struct AttentionPoolingHead: Sendable {
    /// `probe`, the one query. [1, 1, width]
    let probe: FloatStorage
    /// `attention.in_proj_weight` / `in_proj_bias`: query, key and value projections stacked.
    /// weight [3 · width, width]
    let inputProjection: Linear
    /// `attention.out_proj`. weight [width, width]
    let outputProjection: Linear
    /// `layernorm`.
    let layerNorm: LayerNorm
    /// `mlp` (`fc1`, `fc2`).
    let mlp: MLP
    let width: Int
    let headCount: Int
    let intermediateSize: Int

    init(_ scope: WeightScope, width: Int, headCount: Int, intermediateSize: Int,
         activation: Activation, epsilon: Float) throws {
        probe = try scope.tensor("probe", shape: [1, 1, width])
        let attention = scope.scoped("attention")
        inputProjection = try Linear(attention, input: width, output: 3 * width,
                                     weightKey: "in_proj_weight", biasKey: "in_proj_bias")
        outputProjection = try Linear(attention.scoped("out_proj"), input: width, output: width)
        layerNorm = try LayerNorm(scope.scoped("layernorm"), width: width, epsilon: epsilon)
        mlp = try MLP(scope.scoped("mlp"), width: width, intermediateSize: intermediateSize,
                      activation: activation)
        self.width = width
        self.headCount = headCount
        self.intermediateSize = intermediateSize
    }

    /// The pooled vector of each sequence of `states` (laid out as `layout` says), into `out`.
    /// states [tokens, width] → out [sequences, width]
    func apply(_ states: UnsafePointer<Float>, layout: SequenceLayout, into out: UnsafeMutablePointer<Float>) {
        let count = layout.starts.count
        guard count > 0 else { return }
        let tokens = layout.tokenCount
        let headSize = width / headCount
        let stride = 3 * width
        // The probe's query (its key and value columns are computed and unused). [3 · width]
        var query = [Float](repeating: 0, count: stride)
        query.withUnsafeMutableBufferPointer { inputProjection.apply(.fp32(probe.pointer), rows: 1, into: $0.baseAddress!) }
        // Keys and values of every token (its query columns are computed and unused).
        // [tokens, 3 · width]
        let projected = UnsafeMutablePointer<Float>.allocate(capacity: tokens * stride)
        defer { projected.deallocate() }
        inputProjection.apply(.fp32(states), rows: tokens, into: projected)

        let ws = Workspace(tokens: count, width: width, intermediateSize: intermediateSize,
                           maxLength: 1, headSize: headSize)
        // Attention output before `out_proj`, one row per sequence, into `context`. [count, width]
        let scale = 1 / Float(headSize).squareRoot()
        query.withUnsafeBufferPointer { queryBuffer in
            let q = queryBuffer.baseAddress!
            Parallel.forEach(count * headCount, workers: Parallel.workerCount) { _, item in
                let (sequence, head) = item.quotientAndRemainder(dividingBy: headCount)
                let rows = projected + layout.starts[sequence] * stride + head * headSize
                Kernels.attendOneQuery(q + head * headSize, keys: rows + width, values: rows + 2 * width,
                                       stride: stride, count: layout.lengths[sequence], headSize: headSize,
                                       scale: scale, into: ws.context + sequence * width + head * headSize)
            }
        }
        // x = out_proj(context); x + mlp(layernorm(x)).
        outputProjection.apply(.fp32(ws.context), rows: count, into: ws.hidden)
        layerNorm.apply(ws.hidden, rows: count, into: ws.normed)
        mlp.apply(.fp32(ws.normed), rows: count, workspace: ws)
        out.update(from: ws.hidden, count: count * width)
    }
}
