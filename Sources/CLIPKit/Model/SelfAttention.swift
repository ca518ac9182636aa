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
        let scale = 1 / Float(headSize).squareRoot()
        for (start, length) in zip(layout.starts, layout.lengths) {
            let q = ws.qkv + start * stride
            for head in 0..<headCount {
                let queries = q + head * headSize
                let keys = q + width + head * headSize
                let values = q + 2 * width + head * headSize
                // scores[i, j] = scale · qᵢ · kⱼ
                BLAS.gemmTransposedB(m: length, n: length, k: headSize, alpha: scale,
                                     a: queries, lda: stride, b: keys, ldb: stride,
                                     beta: 0, c: ws.scores, ldc: length)
                for i in 0..<length {
                    let row = ws.scores + i * length
                    if causal {
                        Kernels.softmax(row, count: i + 1)
                        for j in (i + 1)..<max(length, i + 1) { row[j] = 0 }
                    } else {
                        Kernels.softmax(row, count: length)
                    }
                }
                // context[:, head] = scores · v
                BLAS.gemm(m: length, n: headSize, k: length, a: ws.scores, lda: length,
                          b: values, ldb: stride, beta: 0,
                          c: ws.context + start * width + head * headSize, ldc: width)
            }
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
        up.apply(ws.normed, rows: rows, into: ws.intermediate)
        Kernels.activate(ws.intermediate, count: rows * up.outputSize, activation)
        down.apply(ws.intermediate, rows: rows, into: ws.hidden, accumulate: true)
    }
}
