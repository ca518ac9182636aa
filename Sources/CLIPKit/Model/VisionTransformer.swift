// Ports CLIPVisionTransformer of transformers 5.23 (models/clip/modeling_clip.py).

/// The vision tower up to the post-layer-normed class token (`vision_model`).
struct VisionTransformer: Sendable {
    /// `embeddings.class_embedding`. [width]
    let classEmbedding: FloatStorage
    /// `embeddings.patch_embedding.weight`, a bias-free convolution with kernel = stride = patch,
    /// used as one matrix product over flattened (channel, row, column) patches.
    /// [width, channels, patch, patch]
    let patchEmbedding: FloatStorage
    /// `embeddings.position_embedding.weight`. [patches + 1, width]
    let positionEmbedding: FloatStorage
    /// `pre_layrnorm` (sic, the checkpoint's spelling).
    let preLayerNorm: LayerNorm
    let encoder: Encoder
    let postLayerNorm: LayerNorm
    let configuration: CLIPVisionConfiguration

    init(_ scope: WeightScope, configuration c: CLIPVisionConfiguration, precision: Precision = .fp32) throws {
        let embeddings = scope.scoped("embeddings")
        classEmbedding = try embeddings.tensor("class_embedding", shape: [c.hiddenSize])
        patchEmbedding = try embeddings.scoped("patch_embedding")
            .tensor("weight", shape: [c.hiddenSize, c.channelCount, c.patchSize, c.patchSize])
        positionEmbedding = try embeddings.scoped("position_embedding")
            .tensor("weight", shape: [c.tokenCount, c.hiddenSize])
        preLayerNorm = try LayerNorm(scope.scoped("pre_layrnorm"), width: c.hiddenSize,
                                     epsilon: c.layerNormEpsilon)
        encoder = try Encoder(scope.scoped("encoder"), width: c.hiddenSize,
                              headCount: c.attentionHeadCount, intermediateSize: c.intermediateSize,
                              layerCount: c.layerCount, activation: c.activation,
                              epsilon: c.layerNormEpsilon, precision: precision)
        postLayerNorm = try LayerNorm(scope.scoped("post_layernorm"), width: c.hiddenSize,
                                      epsilon: c.layerNormEpsilon)
        configuration = c
    }

    /// Class-token states of `count` images in `pixels` [count, channels, size, size], written
    /// to `out`. [count, width]
    func pooled(_ pixels: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>,
                observer: LayerObserver? = nil) {
        let c = configuration
        let width = c.hiddenSize
        let side = c.patchesPerSide
        let patchCount = side * side
        let patchLength = c.channelCount * c.patchSize * c.patchSize
        let tokens = c.tokenCount
        let layout = SequenceLayout(lengths: Array(repeating: tokens, count: count))
        let ws = encoder.makeWorkspace(for: layout)

        // im2col: one row of (channel, row, column) values per patch.
        let patches = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count * patchCount * patchLength))
        defer { patches.deallocate() }
        let imageStride = c.channelCount * c.imageSize * c.imageSize
        for image in 0..<count {
            let source = pixels + image * imageStride
            for py in 0..<side {
                for px in 0..<side {
                    var dst = patches + ((image * patchCount) + py * side + px) * patchLength
                    for channel in 0..<c.channelCount {
                        for ky in 0..<c.patchSize {
                            let src = source + (channel * c.imageSize + py * c.patchSize + ky) * c.imageSize
                                + px * c.patchSize
                            dst.update(from: src, count: c.patchSize)
                            dst += c.patchSize
                        }
                    }
                }
            }
        }
        // All patches of the batch in one product, into the (not yet used) QKV buffer:
        // [count · patchCount, width], which fits since qkv holds count · tokens · 3 · width.
        let projected = ws.qkv
        BLAS.gemmTransposedB(m: count * patchCount, n: width, k: patchLength,
                             a: patches, lda: patchLength, b: patchEmbedding.pointer, ldb: patchLength,
                             beta: 0, c: projected, ldc: width)
        // Token 0 of each image is the class embedding, tokens 1... its patches; plus positions.
        let place = positionEmbedding.pointer
        for image in 0..<count {
            let first = ws.normed + image * tokens * width
            for i in 0..<width { first[i] = classEmbedding.pointer[i] + place[i] }
            let source = projected + image * patchCount * width
            for i in 0..<(patchCount * width) { first[width + i] = source[i] + place[width + i] }
        }
        preLayerNorm.apply(ws.normed, rows: layout.tokenCount, into: ws.hidden)
        // Only the class tokens are read after the last layer.
        encoder.apply(layout: layout, causal: false, workspace: ws, observer: observer,
                      pooledRows: layout.starts)
        for image in 0..<count {
            postLayerNorm.apply(ws.hidden + image * tokens * width, rows: 1, into: out + image * width)
        }
    }
}
