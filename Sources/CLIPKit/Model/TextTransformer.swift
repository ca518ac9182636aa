// Ports CLIPTextTransformer of transformers 5.23 (models/clip/modeling_clip.py) and
// SiglipTextTransformer of transformers 5.25 (models/siglip/modeling_siglip.py) up to the pooled,
// final-layer-normed state; the families differ only in the mask and the pooled position.

/// What shapes a text tower: its sizes and the two choices the families make differently.
struct TextTowerSettings: Sendable, Equatable {
    /// Which position of a sequence the tower returns.
    enum Pooling: Sendable, Equatable {
        /// CLIP: the end-of-text token `id`; the legacy value 2 (OpenAI's configs) means the
        /// first occurrence of the largest id, as transformers does.
        case endOfText(id: Int)
        /// SigLIP: the last position, `[:, -1]`, whatever token it holds.
        case lastPosition
    }

    var vocabularySize: Int
    var width: Int
    var intermediateSize: Int
    var layerCount: Int
    var headCount: Int
    var maxPositions: Int
    var activation: Activation
    var epsilon: Float
    /// Whether a token attends only to those before it (CLIP) or to the whole sequence (SigLIP).
    var causal: Bool
    var pooling: Pooling
}

/// The text tower up to the pooled, final-layer-normed state (`text_model`, without SigLIP's
/// `head`, which the model applies as CLIP applies its projection).
struct TextTransformer: Sendable {
    /// `embeddings.token_embedding.weight`. [vocabularySize, width]
    let tokenEmbedding: EmbeddingTable
    /// `embeddings.position_embedding.weight`. [maxPositions, width]
    let positionEmbedding: FloatStorage
    let encoder: Encoder
    let finalLayerNorm: LayerNorm
    let settings: TextTowerSettings

    init(_ scope: WeightScope, settings s: TextTowerSettings, precision: Precision = .fp32) throws {
        let embeddings = scope.scoped("embeddings")
        tokenEmbedding = try EmbeddingTable(embeddings.scoped("token_embedding"),
                                            rows: s.vocabularySize, width: s.width)
        positionEmbedding = try embeddings.scoped("position_embedding")
            .tensor("weight", shape: [s.maxPositions, s.width])
        encoder = try Encoder(scope.scoped("encoder"), width: s.width,
                              headCount: s.headCount, intermediateSize: s.intermediateSize,
                              layerCount: s.layerCount, activation: s.activation,
                              epsilon: s.epsilon, precision: precision)
        finalLayerNorm = try LayerNorm(scope.scoped("final_layer_norm"), width: s.width,
                                       epsilon: s.epsilon)
        settings = s
    }

    /// The row transformers pools for one sequence.
    func poolingIndex(of ids: [Int]) -> Int {
        switch settings.pooling {
        case .lastPosition:
            return max(0, ids.count - 1)
        case .endOfText(let eos) where eos == 2:
            var best = 0
            for (i, id) in ids.enumerated() where id > ids[best] { best = i }
            return best
        case .endOfText(let eos):
            return ids.firstIndex(of: eos) ?? 0
        }
    }

    /// Checks ids and lengths before anything is allocated.
    func validate(_ sequences: [[Int]]) throws {
        for (n, ids) in sequences.enumerated() {
            guard !ids.isEmpty, ids.count <= settings.maxPositions else {
                throw ModelError.invalidInput(reason: "text \(n) has \(ids.count) tokens; the model takes 1 to \(settings.maxPositions)")
            }
            if let bad = ids.first(where: { $0 < 0 || $0 >= settings.vocabularySize }) {
                throw ModelError.invalidInput(reason: "text \(n) has token id \(bad), outside the vocabulary of \(settings.vocabularySize)")
            }
        }
    }

    /// Pooled states, one row per sequence, written to `out`. [sequences, width]
    ///
    /// Row `i` of a sequence sits at position `i`, or at `positions[sequence][i]` when given;
    /// only the first `keyLengths[sequence]` rows of a sequence are attended to when given
    /// (masked padding: the rows after them are queries only). Both are checked by the caller.
    func pooled(_ sequences: [[Int]], positions: [[Int]]? = nil, keyLengths: [Int]? = nil,
                into out: UnsafeMutablePointer<Float>) {
        let width = settings.width
        let layout = SequenceLayout(lengths: sequences.map(\.count), keyLengths: keyLengths)
        let ws = encoder.makeWorkspace(for: layout)
        for (n, (ids, start)) in zip(sequences, layout.starts).enumerated() {
            for (i, id) in ids.enumerated() {
                let position = positions?[n][i] ?? i
                let row = ws.hidden + (start + i) * width
                tokenEmbedding.add(row: id, to: positionEmbedding.pointer + position * width, into: row)
            }
        }
        let pooledRows = zip(sequences, layout.starts).map { ids, start in start + poolingIndex(of: ids) }
        encoder.apply(layout: layout, causal: settings.causal, workspace: ws, pooledRows: pooledRows)
        for (n, row) in pooledRows.enumerated() {
            finalLayerNorm.apply(ws.hidden + row * width, rows: 1, into: out + n * width)
        }
    }
}

extension CLIPTextConfiguration {
    /// CLIP's text tower: causal, pooled at the end-of-text token.
    var towerSettings: TextTowerSettings {
        TextTowerSettings(vocabularySize: vocabularySize, width: hiddenSize, intermediateSize: intermediateSize,
                          layerCount: layerCount, headCount: attentionHeadCount,
                          maxPositions: maxPositionEmbeddings, activation: activation,
                          epsilon: layerNormEpsilon, causal: true, pooling: .endOfText(id: eosTokenID))
    }
}
