// Ports CLIPVisionTransformer of transformers 5.23 (models/clip/modeling_clip.py) and
// SiglipVisionTransformer of transformers 5.25 (models/siglip/modeling_siglip.py).

/// What shapes a vision tower: its sizes and the choices the families make differently.
struct VisionTowerSettings: Sendable, Equatable {
    /// How the tower turns its token states into one vector per image.
    enum Pooling: Sendable, Equatable {
        /// CLIP: a learned class token is prepended, and its state (post-layer-normed) is the result.
        case classToken
        /// SigLIP: every patch state is post-layer-normed and a learned probe attends over them
        /// (`head`, ``AttentionPoolingHead``).
        case attentionHead
    }

    var width: Int
    var intermediateSize: Int
    var layerCount: Int
    var headCount: Int
    var channelCount: Int
    var imageSize: Int
    var patchSize: Int
    var activation: Activation
    var epsilon: Float
    /// Whether the patch convolution has a bias (SigLIP) or not (CLIP).
    var patchBias: Bool
    /// Whether a layer norm (`pre_layrnorm`) runs before the encoder (CLIP).
    var preLayerNorm: Bool
    var pooling: Pooling

    var patchesPerSide: Int { imageSize / patchSize }
    var patchCount: Int { patchesPerSide * patchesPerSide }
    /// Tokens the encoder sees: the patches, plus the class token when there is one.
    var tokenCount: Int { patchCount + (pooling == .classToken ? 1 : 0) }
}

/// The vision tower up to its pooled state (`vision_model`): the class token's for CLIP, the
/// attention-pooling head's for SigLIP.
struct VisionTransformer: Sendable {
    /// `embeddings.class_embedding` (CLIP only). [width]
    let classEmbedding: FloatStorage?
    /// `embeddings.patch_embedding`, a convolution with kernel = stride = patch, computed as one
    /// fp32 linear layer over flattened (channel, row, column) patches (on the packed fp32
    /// kernels where those run, whatever the encoder's precision), with its bias where it has
    /// one (SigLIP). Weight [width, channels, patch, patch], bias [width].
    let patchEmbedding: Linear
    /// `embeddings.position_embedding.weight`. [tokens, width]
    let positionEmbedding: FloatStorage
    /// `pre_layrnorm` (sic, the checkpoint's spelling; CLIP only).
    let preLayerNorm: LayerNorm?
    let encoder: Encoder
    /// `post_layernorm`.
    let postLayerNorm: LayerNorm
    /// `head` (SigLIP only).
    let head: AttentionPoolingHead?
    let settings: VisionTowerSettings

    init(_ scope: WeightScope, settings s: VisionTowerSettings, precision: Precision = .fp32) throws {
        let embeddings = scope.scoped("embeddings")
        classEmbedding = s.pooling == .classToken
            ? try embeddings.tensor("class_embedding", shape: [s.width]) : nil
        let patchLength = s.channelCount * s.patchSize * s.patchSize
        patchEmbedding = try Linear(embeddings.scoped("patch_embedding"), input: patchLength, output: s.width,
                                    hasBias: s.patchBias,
                                    weightShape: [s.width, s.channelCount, s.patchSize, s.patchSize])
        positionEmbedding = try embeddings.scoped("position_embedding")
            .tensor("weight", shape: [s.tokenCount, s.width])
        preLayerNorm = s.preLayerNorm
            ? try LayerNorm(scope.scoped("pre_layrnorm"), width: s.width, epsilon: s.epsilon) : nil
        encoder = try Encoder(scope.scoped("encoder"), width: s.width,
                              headCount: s.headCount, intermediateSize: s.intermediateSize,
                              layerCount: s.layerCount, activation: s.activation,
                              epsilon: s.epsilon, precision: precision)
        postLayerNorm = try LayerNorm(scope.scoped("post_layernorm"), width: s.width, epsilon: s.epsilon)
        head = s.pooling == .attentionHead
            ? try AttentionPoolingHead(scope.scoped("head"), width: s.width, headCount: s.headCount,
                                       intermediateSize: s.intermediateSize, activation: s.activation,
                                       epsilon: s.epsilon)
            : nil
        settings = s
    }

    /// Pooled states of `count` images in `pixels` [count, channels, size, size], written to
    /// `out`. [count, width]
    func pooled(_ pixels: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>,
                observer: LayerObserver? = nil) {
        let s = settings
        let width = s.width
        let side = s.patchesPerSide
        let patchCount = s.patchCount
        let patchLength = s.channelCount * s.patchSize * s.patchSize
        let tokens = s.tokenCount
        let layout = SequenceLayout(lengths: Array(repeating: tokens, count: count))
        let ws = encoder.makeWorkspace(for: layout)

        // im2col: one row of (channel, row, column) values per patch.
        let patches = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count * patchCount * patchLength))
        defer { patches.deallocate() }
        let imageStride = s.channelCount * s.imageSize * s.imageSize
        for image in 0..<count {
            let source = pixels + image * imageStride
            for py in 0..<side {
                for px in 0..<side {
                    var dst = patches + ((image * patchCount) + py * side + px) * patchLength
                    for channel in 0..<s.channelCount {
                        for ky in 0..<s.patchSize {
                            let src = source + (channel * s.imageSize + py * s.patchSize + ky) * s.imageSize
                                + px * s.patchSize
                            dst.update(from: src, count: s.patchSize)
                            dst += s.patchSize
                        }
                    }
                }
            }
        }
        // All patches of the batch in one product, into the (not yet used) QKV buffer:
        // [count · patchCount, width], which fits since qkv holds count · tokens · 3 · width.
        let projected = ws.qkv
        patchEmbedding.apply(.fp32(patches), rows: count * patchCount, into: projected)
        // CLIP: token 0 of each image is the class embedding, tokens 1... its patches; SigLIP:
        // the patches (their bias already added) alone. Plus positions. Written where the
        // pre-layer norm reads them, or straight into the residual stream without one.
        let embedded = preLayerNorm == nil ? ws.hidden : ws.normed
        let place = positionEmbedding.pointer
        for image in 0..<count {
            var first = embedded + image * tokens * width
            var positions = place
            if let classEmbedding {
                for i in 0..<width { first[i] = classEmbedding.pointer[i] + place[i] }
                first += width
                positions += width
            }
            let source = projected + image * patchCount * width
            for i in 0..<(patchCount * width) { first[i] = source[i] + positions[i] }
        }
        preLayerNorm?.apply(ws.normed, rows: layout.tokenCount, into: ws.hidden)
        guard let head else {
            // Only the class tokens are read after the last layer.
            encoder.apply(layout: layout, causal: false, workspace: ws, observer: observer,
                          pooledRows: layout.starts)
            for image in 0..<count {
                postLayerNorm.apply(ws.hidden + image * tokens * width, rows: 1, into: out + image * width)
            }
            return
        }
        // The head reads every token.
        encoder.apply(layout: layout, causal: false, workspace: ws, observer: observer)
        postLayerNorm.apply(ws.hidden, rows: layout.tokenCount, into: ws.normed)
        head.apply(ws.normed, layout: layout, into: out)
    }
}

extension CLIPVisionConfiguration {
    /// CLIP's vision tower: class token, bias-free patches, pre-layer norm.
    var towerSettings: VisionTowerSettings {
        VisionTowerSettings(width: hiddenSize, intermediateSize: intermediateSize, layerCount: layerCount,
                            headCount: attentionHeadCount, channelCount: channelCount, imageSize: imageSize,
                            patchSize: patchSize, activation: activation, epsilon: layerNormEpsilon,
                            patchBias: false, preLayerNorm: true, pooling: .classToken)
    }
}
