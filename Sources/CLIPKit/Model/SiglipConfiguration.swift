// Mirrors transformers' SiglipConfig / SiglipTextConfig / SiglipVisionConfig
// (models/siglip/configuration_siglip.py, transformers 5.25): same field names in config.json,
// same defaults when a field is absent.
import Foundation

/// Hyper-parameters of SigLIP's text tower (`text_config`).
public struct SiglipTextConfiguration: Codable, Sendable, Equatable {
    public var vocabularySize = 32000
    public var hiddenSize = 768
    public var intermediateSize = 3072
    public var layerCount = 12
    public var attentionHeadCount = 12
    /// Positions of the text tower; the zero-shot pipeline pads every text to this length.
    public var maxPositionEmbeddings = 64
    public var activation = Activation.geluTanh
    public var layerNormEpsilon: Float = 1e-6
    /// Output width of the text `head` (transformers: `hidden_size` when absent).
    public var projectionSize: Int?

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size", hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size", layerCount = "num_hidden_layers"
        case attentionHeadCount = "num_attention_heads"
        case maxPositionEmbeddings = "max_position_embeddings", activation = "hidden_act"
        case layerNormEpsilon = "layer_norm_eps", projectionSize = "projection_size"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self()
        vocabularySize = try c.decodeIfPresent(Int.self, forKey: .vocabularySize) ?? d.vocabularySize
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? d.intermediateSize
        layerCount = try c.decodeIfPresent(Int.self, forKey: .layerCount) ?? d.layerCount
        attentionHeadCount = try c.decodeIfPresent(Int.self, forKey: .attentionHeadCount) ?? d.attentionHeadCount
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? d.maxPositionEmbeddings
        activation = try c.decodeIfPresent(Activation.self, forKey: .activation) ?? d.activation
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? d.layerNormEpsilon
        projectionSize = try c.decodeIfPresent(Int.self, forKey: .projectionSize)
    }

    /// The width of the text embeddings: `projection_size`, else `hidden_size`.
    public var outputSize: Int { projectionSize ?? hiddenSize }

    /// SigLIP's text tower: no causal mask, pooled at the last position.
    var towerSettings: TextTowerSettings {
        TextTowerSettings(vocabularySize: vocabularySize, width: hiddenSize, intermediateSize: intermediateSize,
                          layerCount: layerCount, headCount: attentionHeadCount,
                          maxPositions: maxPositionEmbeddings, activation: activation,
                          epsilon: layerNormEpsilon, causal: false, pooling: .lastPosition)
    }
}

/// Hyper-parameters of SigLIP's vision tower (`vision_config`).
public struct SiglipVisionConfiguration: Codable, Sendable, Equatable {
    public var hiddenSize = 768
    public var intermediateSize = 3072
    public var layerCount = 12
    public var attentionHeadCount = 12
    public var channelCount = 3
    public var imageSize = 224
    public var patchSize = 16
    public var activation = Activation.geluTanh
    public var layerNormEpsilon: Float = 1e-6
    /// Whether the tower ends in the attention-pooling head (`vision_use_head`; the zero-shot
    /// model needs it, so `false` is rejected at load).
    public var usesHead = true

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers", attentionHeadCount = "num_attention_heads"
        case channelCount = "num_channels", imageSize = "image_size", patchSize = "patch_size"
        case activation = "hidden_act", layerNormEpsilon = "layer_norm_eps", usesHead = "vision_use_head"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self()
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? d.intermediateSize
        layerCount = try c.decodeIfPresent(Int.self, forKey: .layerCount) ?? d.layerCount
        attentionHeadCount = try c.decodeIfPresent(Int.self, forKey: .attentionHeadCount) ?? d.attentionHeadCount
        channelCount = try c.decodeIfPresent(Int.self, forKey: .channelCount) ?? d.channelCount
        imageSize = try c.decodeIfPresent(Int.self, forKey: .imageSize) ?? d.imageSize
        patchSize = try c.decodeIfPresent(Int.self, forKey: .patchSize) ?? d.patchSize
        activation = try c.decodeIfPresent(Activation.self, forKey: .activation) ?? d.activation
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? d.layerNormEpsilon
        usesHead = try c.decodeIfPresent(Bool.self, forKey: .usesHead) ?? d.usesHead
    }

    /// Patches along one side of the (square) input.
    public var patchesPerSide: Int { imageSize / patchSize }

    /// SigLIP's vision tower: biased patches, no class token, no pre-layer norm, attention pooling.
    var towerSettings: VisionTowerSettings {
        VisionTowerSettings(width: hiddenSize, intermediateSize: intermediateSize, layerCount: layerCount,
                            headCount: attentionHeadCount, channelCount: channelCount, imageSize: imageSize,
                            patchSize: patchSize, activation: activation, epsilon: layerNormEpsilon,
                            patchBias: true, preLayerNorm: false, pooling: .attentionHead)
    }
}

/// A whole SigLIP model's hyper-parameters (`config.json` with `model_type: siglip`, which
/// SigLIP 2's fixed-resolution checkpoints use too).
public struct SiglipConfiguration: Codable, Sendable, Equatable {
    public var text = SiglipTextConfiguration()
    public var vision = SiglipVisionConfiguration()

    enum CodingKeys: String, CodingKey {
        case text = "text_config", vision = "vision_config"
    }

    public init(text: SiglipTextConfiguration = .init(), vision: SiglipVisionConfiguration = .init()) {
        self.text = text
        self.vision = vision
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        text = try c.decodeIfPresent(SiglipTextConfiguration.self, forKey: .text) ?? .init()
        vision = try c.decodeIfPresent(SiglipVisionConfiguration.self, forKey: .vision) ?? .init()
    }

    /// Width of the shared embedding space (the vision tower's width, which the text head's
    /// output must equal).
    public var embeddingSize: Int { vision.hiddenSize }

    /// Reads and validates `config.json`. Throws ``ModelError``.
    public static func load(from url: URL) throws -> SiglipConfiguration {
        let configuration: SiglipConfiguration = try ModelFamily.decodeConfiguration(at: url)
        try configuration.validate(path: url.path)
        return configuration
    }

    /// Checks the relations the model relies on (positive sizes, heads dividing widths, the
    /// two towers meeting in one space...).
    public func validate(path: String = "config.json") throws {
        func require(_ ok: Bool, _ reason: String) throws {
            if !ok { throw ModelError.invalidConfiguration(path: path, reason: reason) }
        }
        for (name, width, heads, mlp, layers) in [
            ("text_config", text.hiddenSize, text.attentionHeadCount, text.intermediateSize, text.layerCount),
            ("vision_config", vision.hiddenSize, vision.attentionHeadCount, vision.intermediateSize, vision.layerCount),
        ] {
            try require(width > 0 && heads > 0 && mlp > 0 && layers >= 0, "\(name) has a non-positive size")
            try require(width % heads == 0, "\(name).hidden_size \(width) is not divisible by num_attention_heads \(heads)")
            try require(width <= 1 << 16 && mlp <= 1 << 18 && layers <= 1024, "\(name) sizes are implausibly large")
        }
        try require(text.vocabularySize > 0 && text.vocabularySize <= 1 << 24, "text_config.vocab_size \(text.vocabularySize) is out of range")
        try require(text.maxPositionEmbeddings > 0 && text.maxPositionEmbeddings <= 1 << 16, "text_config.max_position_embeddings is out of range")
        try require(text.outputSize == vision.hiddenSize,
                    "text_config.projection_size \(text.outputSize) differs from vision_config.hidden_size \(vision.hiddenSize)")
        try require(vision.patchSize > 0 && vision.imageSize >= vision.patchSize && vision.imageSize <= 1 << 14,
                    "vision_config image_size \(vision.imageSize) / patch_size \(vision.patchSize) are out of range")
        try require(vision.channelCount > 0 && vision.channelCount <= 16, "vision_config.num_channels is out of range")
        try require(vision.usesHead, "vision_config.vision_use_head is false: the vision tower has no pooled output to classify with")
        try require(text.layerNormEpsilon > 0 && vision.layerNormEpsilon > 0, "layer_norm_eps must be positive")
    }
}

extension SiglipConfiguration {
    /// `google/siglip-base-patch16-224`.
    public static let basePatch16_224 = SiglipConfiguration()

    /// `google/siglip-so400m-patch14-384`.
    public static let so400mPatch14_384: SiglipConfiguration = {
        var c = SiglipConfiguration()
        c.text.hiddenSize = 1152
        c.text.intermediateSize = 4304
        c.text.layerCount = 27
        c.text.attentionHeadCount = 16
        c.vision.hiddenSize = 1152
        c.vision.intermediateSize = 4304
        c.vision.layerCount = 27
        c.vision.attentionHeadCount = 16
        c.vision.imageSize = 384
        c.vision.patchSize = 14
        return c
    }()

    /// `google/siglip2-base-patch16-224` (Gemma's 256k vocabulary).
    public static let siglip2BasePatch16_224: SiglipConfiguration = {
        var c = SiglipConfiguration()
        c.text.vocabularySize = 256_000
        return c
    }()
}
