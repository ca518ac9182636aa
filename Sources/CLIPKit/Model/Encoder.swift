import Foundation
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
        // int8 and bf16 layers keep the layer norms' outlier channels in fp32.
        let reduced = precision != .fp32
        attention = try SelfAttention(scope.scoped("self_attn"), width: width, headCount: headCount,
                                      precision: precision,
                                      inputOutliers: reduced ? layerNorm1.outlierColumns() : [])
        mlp = try MLP(scope.scoped("mlp"), width: width, intermediateSize: intermediateSize,
                      activation: activation, precision: precision,
                      inputOutliers: reduced ? layerNorm2.outlierColumns() : [])
    }

    func apply(layout: SequenceLayout, causal: Bool, workspace ws: Workspace) {
        let rows = layout.tokenCount
        let attentionInput = layerNorm1.apply(ws.hidden, rows: rows, into: ws.normed,
                                              preparingFor: attention.query, workspace: ws)
        attention.apply(attentionInput, layout: layout, causal: causal, workspace: ws)
        applyMLP(rows: rows, workspace: ws)
    }

    /// The layer for the rows `kept` (ascending) of its output only: attention still reads
    /// every row's keys and values, but the output projection and the MLP, three quarters of
    /// the layer, run on `kept` alone. Other rows of `workspace.hidden` are left stale. The
    /// last layer of a tower needs no more: only the pooled rows are read after it.
    func apply(layout: SequenceLayout, causal: Bool, workspace ws: Workspace, keeping kept: [Int]) {
        let rows = layout.tokenCount
        let attentionInput = layerNorm1.apply(ws.hidden, rows: rows, into: ws.normed,
                                              preparingFor: attention.query, workspace: ws)
        attention.attend(attentionInput, layout: layout, causal: causal, workspace: ws)
        let width = attention.width
        // Gather the kept rows to the top of `hidden` and `context` (row s ≤ kept[s], so going
        // up never overwrites a row still to be read), run the rest there, scatter back down.
        for (row, source) in kept.enumerated() where row != source {
            (ws.hidden + row * width).update(from: ws.hidden + source * width, count: width)
            (ws.context + row * width).update(from: ws.context + source * width, count: width)
        }
        attention.project(rows: kept.count, workspace: ws)
        applyMLP(rows: kept.count, workspace: ws)
        for (row, target) in kept.enumerated().reversed() where row != target {
            (ws.hidden + target * width).update(from: ws.hidden + row * width, count: width)
        }
    }

    /// `x + mlp(ln2(x))` over the first `rows` rows of `workspace.hidden`.
    private func applyMLP(rows: Int, workspace ws: Workspace) {
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
    ///
    /// `pooledRows` (one per sequence, ascending), when given, are the only rows read after
    /// the last layer, which then computes those alone (others are left stale). With an
    /// observer every row is computed.
    func apply(layout: SequenceLayout, causal: Bool, workspace: Workspace,
               observer: LayerObserver? = nil, pooledRows: [Int]? = nil) {
        for (index, layer) in layers.enumerated() {
            if index == layers.count - 1, observer == nil, let kept = pooledRows,
               kept.count < layout.tokenCount, Self.isStrictlyAscending(kept, below: layout.tokenCount) {
                layer.apply(layout: layout, causal: causal, workspace: workspace, keeping: kept)
            } else {
                layer.apply(layout: layout, causal: causal, workspace: workspace)
            }
            observer?(index, UnsafeBufferPointer(start: workspace.hidden, count: layout.tokenCount * width))
        }
    }

    private static func isStrictlyAscending(_ rows: [Int], below limit: Int) -> Bool {
        guard let first = rows.first, let last = rows.last, first >= 0, last < limit else { return false }
        return zip(rows, rows.dropFirst()).allSatisfy { $0 < $1 }
    }
}

/// Called with an encoder layer's index and its output (the residual stream). [tokens, width]
typealias LayerObserver = (_ layer: Int, _ hidden: UnsafeBufferPointer<Float>) -> Void

/// Rows a worker takes through consecutive int8 / bf16 layers at a time.
enum RowBlocks {
    /// `CLIPKIT_ROW_BLOCK` overrides the default (tuning experiments).
    static let rows: Int = {
        if let text = ProcessInfo.processInfo.environment["CLIPKIT_ROW_BLOCK"], let value = Int(text),
           (1...4096).contains(value) { return value }
        return 32
    }()
}
