// Ports SiglipModel of transformers 5.25 (models/siglip/modeling_siglip.py): get_text_features,
// get_image_features, logit_scale and logit_bias.
import Foundation

/// A SigLIP (or SigLIP 2 fixed-resolution) model: text and vision towers meeting in one space,
/// scored per label with `sigmoid(exp(logitScale) · cosine + logitBias)`.
///
/// Loads a Hugging Face folder with `model_type: siglip` strictly, as ``CLIPModel`` does. The
/// vision tower has no class token and pools with an attention head; the text tower has no
/// causal mask, pools the last position and ends in the `head` linear layer.
public final class SiglipModel: ZeroShotModel, LayerObservableModel {
    /// The hyper-parameters the model was built from.
    public let configuration: SiglipConfiguration
    /// `logit_scale`. [1]
    public let logitScale: Float
    /// `logit_bias`. [1]
    public let logitBias: Float
    public let weightsURL: URL
    public let precision: Precision
    /// How the load used the packed-weight cache.
    public let packedWeightLoad: PackedWeightLoad

    let text: TextTransformer
    let vision: VisionTransformer
    /// `text_model.head`. weight [embeddingSize, textWidth]
    let textHead: Linear

    public var family: ModelFamily { .siglip }
    public var embeddingSize: Int { configuration.embeddingSize }
    public var visionInput: VisionInputShape {
        VisionInputShape(channelCount: configuration.vision.channelCount, imageSize: configuration.vision.imageSize,
                         patchSize: configuration.vision.patchSize)
    }
    public var textContextLength: Int { configuration.text.maxPositionEmbeddings }
    var visionTower: (layerCount: Int, width: Int) { (configuration.vision.layerCount, configuration.vision.hiddenSize) }
    func hasSameShape(as other: any LayerObservableModel) -> Bool {
        (other as? SiglipModel)?.configuration == configuration
    }

    /// Loads `config.json` and `model.safetensors` from a model folder. Throws ``ModelError``
    /// or `WeightsError`, naming the file. `precision` chooses the arithmetic of the encoder
    /// layers, as for ``CLIPModel``.
    /// `weightCache` keeps the packed weights of reduced-precision (and packed fp32) layers
    /// between processes (``PackedWeightCache``; nil packs them in memory at every load).
    public convenience init(directory: URL, precision: Precision = .fp32,
                            weightCache: PackedWeightCache? = PackedWeightCache.standard()) throws {
        let configuration = try SiglipConfiguration.load(from: directory.appendingPathComponent("config.json"))
        let weights = try ModelFamily.weightsFile(in: directory)
        try self.init(configuration: configuration, weights: weights, precision: precision, weightCache: weightCache)
    }

    /// Builds the model described by `configuration` from a safetensors file, its encoder
    /// layers in `precision`, their packed weights kept in `weightCache`.
    public convenience init(configuration: SiglipConfiguration, weights url: URL, precision: Precision = .fp32,
                            weightCache: PackedWeightCache? = PackedWeightCache.standard()) throws {
        try self.init(configuration: configuration, weights: url, precision: precision, weightCache: weightCache,
                      fp32Packed: KernelVariants.fp32Packed)
    }

    /// The same, fp32 layers packed (or on BLAS) as `fp32Packed` says rather than as this
    /// process's ``KernelVariants/fp32Packed`` (tests of both layouts in one process).
    init(configuration: SiglipConfiguration, weights url: URL, precision: Precision, weightCache: PackedWeightCache?,
         fp32Packed: Bool) throws {
        try configuration.validate()
        let loader = try WeightLoader(weights: url, family: .siglip, precision: precision, weightCache: weightCache,
                                      fp32Packed: fp32Packed)
        let root = loader.root
        let textScope = root.scoped("text_model")
        text = try TextTransformer(textScope, settings: configuration.text.towerSettings, precision: precision)
        textHead = try Linear(textScope.scoped("head"), input: configuration.text.hiddenSize,
                              output: configuration.text.outputSize)
        vision = try VisionTransformer(root.scoped("vision_model"), settings: configuration.vision.towerSettings,
                                       precision: precision)
        logitScale = try root.tensor("logit_scale", shape: [1]).first
        logitBias = try root.tensor("logit_bias", shape: [1]).first
        packedWeightLoad = try loader.finishLoad()
        self.configuration = configuration
        weightsURL = url
        self.precision = precision
    }

    /// Text embeddings (not normalised) as transformers' `get_text_features`: the last
    /// position's state after `final_layer_norm`, through `head`. The zero-shot pipeline pads
    /// every text to 64 tokens first (``ModelFamily/textPadding``); the tower itself takes any
    /// length up to `max_position_embeddings`. [sequences, embeddingSize]
    public func textEmbeddings(tokenIDs sequences: [[Int]]) throws -> Tensor {
        try text.validate(sequences)
        guard !sequences.isEmpty else { return Tensor(zeros: [0, embeddingSize]) }
        return project(pooledText: sequences.count) { text.pooled(sequences, into: $0) }
    }

    /// `head` over `count` pooled text states that `pool` writes. [count, embeddingSize]
    private func project(pooledText count: Int, _ pool: (UnsafeMutablePointer<Float>) -> Void) -> Tensor {
        var pooled = [Float](repeating: 0, count: count * configuration.text.hiddenSize)
        pooled.withUnsafeMutableBufferPointer { pool($0.baseAddress!) }
        var out = Tensor(zeros: [count, embeddingSize])
        pooled.withUnsafeBufferPointer { source in
            out.scalars.withUnsafeMutableBufferPointer {
                textHead.apply(.fp32(source.baseAddress!), rows: count, into: $0.baseAddress!)
            }
        }
        return out
    }

    /// Text embeddings of unpadded sequences padded to `padding`'s length, as transformers'
    /// pipeline runs SigLIP. Unmasked, the padded sequences run as given. Masked (the pipeline
    /// passes the tokenizer's attention mask), no row attends to padding, so each text's own rows
    /// evolve as if alone and only the pooled last row is computed besides them: right padding
    /// runs the text's rows plus the last padding row (position `length − 1`) as a query-only
    /// row; left padding runs the text's rows at positions `length − count ..< length`.
    /// Exact, and far cheaper than 64 rows per text. [sequences, embeddingSize]
    public func textEmbeddings(tokenIDs sequences: [[Int]], padding: TextPadding, paddingID: Int,
                               side: PaddingSide) throws -> Tensor {
        guard case .toLength(let length, masked: true) = padding else {
            return try textEmbeddings(tokenIDs: sequences.map { padding.apply(to: $0, paddingID: paddingID, side: side) })
        }
        guard length <= configuration.text.maxPositionEmbeddings else {
            throw ModelError.invalidInput(reason: "padding to \(length) exceeds the \(configuration.text.maxPositionEmbeddings) positions of the text tower")
        }
        var rows: [[Int]] = []
        var positions: [[Int]] = []
        var keyLengths: [Int] = []
        for ids in sequences {
            guard !ids.isEmpty, ids.count <= length else {
                throw ModelError.invalidInput(reason: "a text has \(ids.count) tokens; padding to \(length) takes 1 to \(length)")
            }
            if ids.count == length || side == .left {
                rows.append(ids)
                positions.append(Array((length - ids.count)..<length))
            } else {
                rows.append(ids + [paddingID])
                positions.append(Array(0..<ids.count) + [length - 1])
            }
            keyLengths.append(ids.count)
        }
        try text.validate(rows)
        guard !rows.isEmpty else { return Tensor(zeros: [0, embeddingSize]) }
        return project(pooledText: rows.count) { text.pooled(rows, positions: positions, keyLengths: keyLengths, into: $0) }
    }

    /// Image embeddings (not normalised) as transformers' `get_image_features`: the attention
    /// head's pooled state. [images, embeddingSize]
    public func imageEmbeddings(pixels: Tensor) throws -> Tensor {
        try imageEmbeddings(pixels: pixels, observer: nil)
    }

    func imageEmbeddings(pixels: Tensor, observer: LayerObserver?) throws -> Tensor {
        let count = try imageCount(of: pixels)
        var out = Tensor(zeros: [count, embeddingSize])
        guard count > 0 else { return out }
        pixels.scalars.withUnsafeBufferPointer { source in
            out.scalars.withUnsafeMutableBufferPointer {
                vision.pooled(source.baseAddress!, count: count, into: $0.baseAddress!, observer: observer)
            }
        }
        return out
    }
}
