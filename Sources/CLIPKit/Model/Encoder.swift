/// One pre-norm transformer layer: `x + attn(ln1(x))`, then `x + mlp(ln2(x))`.
struct EncoderLayer: Sendable {
    let layerNorm1: LayerNorm
    let attention: SelfAttention
    let layerNorm2: LayerNorm
    let mlp: MLP

    init(_ scope: WeightScope, width: Int, headCount: Int, intermediateSize: Int,
         activation: Activation, epsilon: Float, precision: Precision = .fp32) throws {
        layerNorm1 = try LayerNorm(scope.scoped("layer_norm1"), width: width, epsilon: epsilon)
        layerNorm2 = try LayerNorm(scope.scoped("layer_norm2"), width: width, epsilon: epsilon)
        let int8 = precision == .int8
        attention = try SelfAttention(scope.scoped("self_attn"), width: width, headCount: headCount,
                                      precision: precision,
                                      inputOutliers: int8 ? layerNorm1.outlierColumns() : [])
        mlp = try MLP(scope.scoped("mlp"), width: width, intermediateSize: intermediateSize,
                      activation: activation, precision: precision,
                      inputOutliers: int8 ? layerNorm2.outlierColumns() : [])
    }

    func apply(layout: SequenceLayout, causal: Bool, workspace ws: Workspace) {
        let rows = layout.tokenCount
        let attentionInput = layerNorm1.apply(ws.hidden, rows: rows, into: ws.normed,
                                              preparingFor: attention.query, workspace: ws)
        attention.apply(attentionInput, layout: layout, causal: causal, workspace: ws)
        let mlpInput = layerNorm2.apply(ws.hidden, rows: rows, into: ws.normed,
                                        preparingFor: mlp.up, workspace: ws)
        mlp.apply(mlpInput, rows: rows, workspace: ws)
    }
}

/// The stack of encoder layers (`encoder.layers.N`).
struct Encoder: Sendable {
    let layers: [EncoderLayer]
    let width: Int
    let headCount: Int
    let intermediateSize: Int
    /// The arithmetic of the layers' linear layers.
    let precision: Precision

    init(_ scope: WeightScope, width: Int, headCount: Int, intermediateSize: Int, layerCount: Int,
         activation: Activation, epsilon: Float, precision: Precision = .fp32) throws {
        let layersScope = scope.scoped("layers")
        layers = try (0..<layerCount).map { index in
            try EncoderLayer(layersScope.scoped(String(index)), width: width, headCount: headCount,
                             intermediateSize: intermediateSize, activation: activation,
                             epsilon: epsilon, precision: precision)
        }
        self.precision = precision
        self.width = width
        self.headCount = headCount
        self.intermediateSize = intermediateSize
    }

    /// A workspace sized for `layout`.
    func makeWorkspace(for layout: SequenceLayout) -> Workspace {
        Workspace(tokens: layout.tokenCount, width: width, intermediateSize: intermediateSize,
                  maxLength: layout.maxLength, headSize: width / headCount, precision: precision)
    }

    /// Runs every layer over `workspace.hidden` in place; `observer` (diagnostics) sees the
    /// residual stream after each layer. [tokens, width]
    func apply(layout: SequenceLayout, causal: Bool, workspace: Workspace,
               observer: LayerObserver? = nil) {
        for (index, layer) in layers.enumerated() {
            layer.apply(layout: layout, causal: causal, workspace: workspace)
            observer?(index, UnsafeBufferPointer(start: workspace.hidden, count: layout.tokenCount * width))
        }
    }
}

/// Called with an encoder layer's index and its output (the residual stream). [tokens, width]
typealias LayerObserver = (_ layer: Int, _ hidden: UnsafeBufferPointer<Float>) -> Void

extension Encoder {
}
