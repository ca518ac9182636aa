// Mirrors transformers' CLIPConfig / CLIPTextConfig / CLIPVisionConfig (configuration_clip.py,
// transformers 5.23): same field names in config.json, same defaults when a field is absent.
import Foundation

/// The activation between an encoder layer's two MLP projections (`hidden_act`).
public enum Activation: String, Codable, Sendable {
    /// `x · sigmoid(1.702 x)`: OpenAI's CLIP.
    case quickGELU = "quick_gelu"
    /// `0.5 x (1 + erf(x / √2))`: LAION's OpenCLIP checkpoints in HF layout.
    case gelu
    /// `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`: SigLIP (PyTorch's `approximate="tanh"`).
    case geluTanh = "gelu_pytorch_tanh"
}

/// Hyper-parameters of the text tower (`text_config`).
public struct CLIPTextConfiguration: Codable, Sendable, Equatable {
    public var vocabularySize = 49408
    public var hiddenSize = 512
    public var intermediateSize = 2048
    public var layerCount = 12
    public var attentionHeadCount = 8
    public var maxPositionEmbeddings = 77
    public var activation = Activation.quickGELU
    public var layerNormEpsilon: Float = 1e-5
    /// The end-of-text id used for pooling; the legacy value 2 (in OpenAI's configs) means
    /// "pool at the largest id", as transformers does.
    public var eosTokenID = 49407

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size", hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size", layerCount = "num_hidden_layers"
        case attentionHeadCount = "num_attention_heads"
        case maxPositionEmbeddings = "max_position_embeddings", activation = "hidden_act"
        case layerNormEpsilon = "layer_norm_eps", eosTokenID = "eos_token_id"
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
        eosTokenID = try c.decodeIfPresent(Int.self, forKey: .eosTokenID) ?? d.eosTokenID
    }
}

/// Hyper-parameters of the vision tower (`vision_config`).
public struct CLIPVisionConfiguration: Codable, Sendable, Equatable {
    public var hiddenSize = 768
    public var intermediateSize = 3072
    public var layerCount = 12
    public var attentionHeadCount = 12
    public var channelCount = 3
    public var imageSize = 224
    public var patchSize = 32
    public var activation = Activation.quickGELU
    public var layerNormEpsilon: Float = 1e-5

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers", attentionHeadCount = "num_attention_heads"
        case channelCount = "num_channels", imageSize = "image_size", patchSize = "patch_size"
        case activation = "hidden_act", layerNormEpsilon = "layer_norm_eps"
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
    }

    /// Patches along one side of the (square) input.
    public var patchesPerSide: Int { imageSize / patchSize }
    /// Tokens the encoder sees: one per patch plus the class token.
    public var tokenCount: Int { patchesPerSide * patchesPerSide + 1 }
}

/// A whole CLIP model's hyper-parameters (`config.json` of a Hugging Face CLIP folder).
public struct CLIPConfiguration: Codable, Sendable, Equatable {
    public var text = CLIPTextConfiguration()
    public var vision = CLIPVisionConfiguration()
    /// Width of the shared embedding space.
    public var projectionDimension = 512
    /// Initial value of `logit_scale` (the checkpoint's tensor wins).
    public var logitScaleInitValue: Float = 2.6592

    enum CodingKeys: String, CodingKey {
        case text = "text_config", vision = "vision_config"
        case projectionDimension = "projection_dim", logitScaleInitValue = "logit_scale_init_value"
    }

    public init(text: CLIPTextConfiguration = .init(), vision: CLIPVisionConfiguration = .init(),
                projectionDimension: Int = 512) {
        self.text = text
        self.vision = vision
        self.projectionDimension = projectionDimension
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        text = try c.decodeIfPresent(CLIPTextConfiguration.self, forKey: .text) ?? .init()
        vision = try c.decodeIfPresent(CLIPVisionConfiguration.self, forKey: .vision) ?? .init()
        projectionDimension = try c.decodeIfPresent(Int.self, forKey: .projectionDimension) ?? 512
        logitScaleInitValue = try c.decodeIfPresent(Float.self, forKey: .logitScaleInitValue) ?? 2.6592
    }

    /// Reads and validates `config.json`. Throws ``ModelError``.
    public static func load(from url: URL) throws -> CLIPConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ModelError.missingFile(path: url.path)
        }
        let configuration: CLIPConfiguration
        do {
            configuration = try JSONDecoder().decode(CLIPConfiguration.self, from: data)
        } catch let error as DecodingError {
            throw ModelError.invalidConfiguration(path: url.path, reason: error.shortDescription)
        } catch {
            throw ModelError.invalidConfiguration(path: url.path, reason: "not valid JSON")
        }
        try configuration.validate(path: url.path)
        return configuration
    }

    /// Checks the relations the model relies on (positive sizes, heads dividing widths...).
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
        try require(text.maxPositionEmbeddings > 1 && text.maxPositionEmbeddings <= 1 << 16, "text_config.max_position_embeddings is out of range")
        try require(vision.patchSize > 0 && vision.imageSize >= vision.patchSize && vision.imageSize <= 1 << 14,
                    "vision_config image_size \(vision.imageSize) / patch_size \(vision.patchSize) are out of range")
        try require(vision.channelCount > 0 && vision.channelCount <= 16, "vision_config.num_channels is out of range")
        try require(projectionDimension > 0 && projectionDimension <= 1 << 16, "projection_dim is out of range")
        try require(text.layerNormEpsilon > 0 && vision.layerNormEpsilon > 0, "layer_norm_eps must be positive")
    }
}

extension CLIPConfiguration {
    /// `openai/clip-vit-base-patch32`.
    public static let vitBasePatch32: CLIPConfiguration = {
        var c = CLIPConfiguration()
        c.text.eosTokenID = 2  // the legacy value in OpenAI's published config
        return c
    }()

    /// `openai/clip-vit-large-patch14`.
    public static let vitLargePatch14: CLIPConfiguration = {
        var c = CLIPConfiguration()
        c.text.hiddenSize = 768
        c.text.intermediateSize = 3072
        c.text.attentionHeadCount = 12
        c.text.eosTokenID = 2
        c.vision.hiddenSize = 1024
        c.vision.intermediateSize = 4096
        c.vision.layerCount = 24
        c.vision.attentionHeadCount = 16
        c.vision.patchSize = 14
        c.projectionDimension = 768
        return c
    }()
}

extension DecodingError {
    /// One line: the JSON path and what was wrong there.
    var shortDescription: String {
        func path(_ keys: [CodingKey]) -> String {
            keys.isEmpty ? "top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch self {
        case .typeMismatch(let type, let ctx): return "\(path(ctx.codingPath)): expected \(type)"
        case .valueNotFound(let type, let ctx): return "\(path(ctx.codingPath)): missing \(type)"
        case .keyNotFound(let key, let ctx): return "\(path(ctx.codingPath + [key])): missing"
        case .dataCorrupted(let ctx):
            return ctx.codingPath.isEmpty ? "not valid JSON" : "\(path(ctx.codingPath)): \(ctx.debugDescription)"
        @unknown default: return "invalid"
        }
    }
}
