// Ports CLIPTextTransformer of transformers 5.23 (models/clip/modeling_clip.py).

/// The text tower up to the pooled, final-layer-normed end-of-text state (`text_model`).
struct TextTransformer: Sendable {
    /// `embeddings.token_embedding.weight`. [vocabularySize, width]
    let tokenEmbedding: EmbeddingTable
    /// `embeddings.position_embedding.weight`. [maxPositions, width]
    let positionEmbedding: FloatStorage
    let encoder: Encoder
    let finalLayerNorm: LayerNorm
    let configuration: CLIPTextConfiguration

    init(_ scope: WeightScope, configuration c: CLIPTextConfiguration, precision: Precision = .fp32) throws {
        let embeddings = scope.scoped("embeddings")
        tokenEmbedding = try EmbeddingTable(embeddings.scoped("token_embedding"),
                                            rows: c.vocabularySize, width: c.hiddenSize)
        positionEmbedding = try embeddings.scoped("position_embedding")
            .tensor("weight", shape: [c.maxPositionEmbeddings, c.hiddenSize])
        encoder = try Encoder(scope.scoped("encoder"), width: c.hiddenSize,
                              headCount: c.attentionHeadCount, intermediateSize: c.intermediateSize,
                              layerCount: c.layerCount, activation: c.activation,
                              epsilon: c.layerNormEpsilon, precision: precision)
        finalLayerNorm = try LayerNorm(scope.scoped("final_layer_norm"), width: c.hiddenSize,
                                       epsilon: c.layerNormEpsilon)
        configuration = c
    }

    /// The row transformers pools for one sequence: with the legacy `eos_token_id == 2`, the
    /// first occurrence of the largest id; otherwise the first `eos_token_id` (0 when absent).
    func poolingIndex(of ids: [Int]) -> Int {
        if configuration.eosTokenID == 2 {
            var best = 0
            for (i, id) in ids.enumerated() where id > ids[best] { best = i }
            return best
        }
        return ids.firstIndex(of: configuration.eosTokenID) ?? 0
    }

    /// Checks ids and lengths before anything is allocated.
    func validate(_ sequences: [[Int]]) throws {
        for (n, ids) in sequences.enumerated() {
            guard !ids.isEmpty, ids.count <= configuration.maxPositionEmbeddings else {
                throw ModelError.invalidInput(reason: "text \(n) has \(ids.count) tokens; the model takes 1 to \(configuration.maxPositionEmbeddings)")
            }
            if let bad = ids.first(where: { $0 < 0 || $0 >= configuration.vocabularySize }) {
                throw ModelError.invalidInput(reason: "text \(n) has token id \(bad), outside the vocabulary of \(configuration.vocabularySize)")
            }
        }
    }

    /// Pooled states, one row per sequence, written to `out`. [sequences, width]
    func pooled(_ sequences: [[Int]], into out: UnsafeMutablePointer<Float>) {
        let width = configuration.hiddenSize
        let layout = SequenceLayout(lengths: sequences.map(\.count))
        let ws = encoder.makeWorkspace(for: layout)
        for (ids, start) in zip(sequences, layout.starts) {
            for (position, id) in ids.enumerated() {
                let row = ws.hidden + (start + position) * width
                tokenEmbedding.add(row: id, to: positionEmbedding.pointer + position * width, into: row)
            }
        }
        let pooledRows = zip(sequences, layout.starts).map { ids, start in start + poolingIndex(of: ids) }
        encoder.apply(layout: layout, causal: true, workspace: ws, pooledRows: pooledRows)
        for (n, row) in pooledRows.enumerated() {
            finalLayerNorm.apply(ws.hidden + row * width, rows: 1, into: out + n * width)
        }
    }
}
