import Foundation

/// A family of zero-shot image–text models: what `config.json`'s `model_type` (and
/// `architectures`) names, chosen once when a folder is loaded. The family decides the towers,
/// the tokenizer, the image preprocessing defaults, how texts are padded and how similarities
/// become scores; nothing downstream asks which family it has.
///
/// | | ``clip`` | ``siglip`` |
/// |---|---|---|
/// | model | ``CLIPModel`` | ``SiglipModel`` (also SigLIP 2 fixed-resolution) |
/// | tokenizer | BPE (`vocab.json`, `merges.txt`) | SentencePiece `spiece.model` or `tokenizer.json` |
/// | preprocessing | shortest side, centre crop, CLIP's mean/std | square resize, no crop, mean = std = 0.5 |
/// | text padding | none | to `max_length` 64 (masked as the tokenizer says) |
/// | default score | softmax over labels | sigmoid per label |
public enum ModelFamily: String, Sendable, Hashable, Codable, CaseIterable {
    /// OpenAI's CLIP and its Hugging Face-format descendants (`model_type: clip`).
    case clip
    /// Google's SigLIP and SigLIP 2 fixed-resolution checkpoints (`model_type: siglip`).
    case siglip

    /// The family's name as people write it: "CLIP", "SigLIP".
    public var displayName: String {
        switch self {
        case .clip: return "CLIP"
        case .siglip: return "SigLIP"
        }
    }

    /// The family of the model in `directory`, from its `config.json`. A config without
    /// `model_type` or `architectures` is CLIP (clipkit's historical input). Throws
    /// ``ModelError/unsupportedFamily(path:name:reason:)`` for SigLIP 2 NaFlex checkpoints
    /// (`Siglip2Model`) and every other family, naming it.
    public static func detect(directory: URL) throws -> ModelFamily {
        let url = directory.appendingPathComponent("config.json")
        let header: ConfigurationHeader = try decodeConfiguration(at: url)
        return try detect(modelType: header.modelType, architectures: header.architectures ?? [], path: url.path)
    }

    /// The family named by `model_type` and `architectures` (see ``detect(directory:)``).
    public static func detect(modelType: String?, architectures: [String], path: String = "config.json") throws -> ModelFamily {
        if modelType == "siglip2" || architectures.contains(where: { $0.hasPrefix("Siglip2") }) {
            throw ModelError.unsupportedFamily(
                path: path, name: architectures.first ?? "siglip2",
                reason: "SigLIP 2 NaFlex checkpoints (Siglip2Model: variable resolution and aspect ratio) are another architecture; clipkit runs SigLIP 2's fixed-resolution checkpoints (model_type siglip)")
        }
        switch modelType {
        case "clip": return .clip
        case "siglip": return .siglip
        case nil:
            if architectures.isEmpty || architectures.contains("CLIPModel") { return .clip }
            if architectures.contains("SiglipModel") { return .siglip }
            throw unsupported(architectures.joined(separator: ", "), path: path)
        case let other?:
            throw unsupported(other, path: path)
        }
    }

    private static func unsupported(_ name: String, path: String) -> ModelError {
        .unsupportedFamily(path: path, name: name,
                           reason: "clipkit runs the families \(allCases.map(\.rawValue).joined(separator: ", ")) (model_type in config.json)")
    }

    /// Loads this family's model from `directory` (`config.json`, `model.safetensors`), its
    /// encoder layers in `precision`, packed weights kept in `weightCache` (``PackedWeightCache``).
    public func loadModel(directory: URL, precision: Precision = .fp32,
                          weightCache: PackedWeightCache? = PackedWeightCache.standard()) throws -> any ZeroShotModel {
        switch self {
        case .clip: return try CLIPModel(directory: directory, precision: precision, weightCache: weightCache)
        case .siglip: return try SiglipModel(directory: directory, precision: precision, weightCache: weightCache)
        }
    }

    /// Loads the model in `directory`, whatever its family (see ``detect(directory:)``).
    public static func loadModel(directory: URL, precision: Precision = .fp32,
                                 weightCache: PackedWeightCache? = PackedWeightCache.standard()) throws -> any ZeroShotModel {
        try detect(directory: directory).loadModel(directory: directory, precision: precision, weightCache: weightCache)
    }

    /// The image processor's settings for every field the folder's `preprocessor_config.json`
    /// leaves out (all of them when there is none): `CLIPImageProcessor`'s or
    /// `SiglipImageProcessor`'s defaults.
    public var defaultPreprocessorConfig: PreprocessorConfig {
        switch self {
        case .clip: return PreprocessorConfig()
        case .siglip: return .siglip
        }
    }

    /// The scores a zero-shot classification reports unless asked otherwise: what transformers'
    /// pipeline returns for the family (softmax over labels for CLIP, a sigmoid per label for
    /// SigLIP).
    public var defaultScoreKind: ZeroShotScoreKind {
        switch self {
        case .clip: return .softmax
        case .siglip: return .sigmoid
        }
    }

    /// The prompt template used when none is given: the label as is for CLIP (clipkit's
    /// historical default), transformers' pipeline template `"This is a photo of {}."` for
    /// SigLIP, whose sigmoid scores are calibrated on sentences.
    public var defaultTemplate: String {
        switch self {
        case .clip: return "{}"
        case .siglip: return "This is a photo of {}."
        }
    }

    /// How the family pads token sequences when no folder says more (``textPadding(directory:)``).
    public var defaultTextPadding: TextPadding {
        switch self {
        case .clip: return .none
        case .siglip: return .toLength(64, masked: true)
        }
    }

    /// How the model in `directory` pads token sequences before its text tower, as transformers'
    /// zero-shot pipeline does (see ``TextPadding``): CLIP not at all; SigLIP to 64, masked
    /// when the tokenizer returns an attention mask (`model_input_names` in
    /// `tokenizer_config.json`; transformers 5's tokenizer classes all include
    /// `attention_mask`, so absent means masked).
    public func textPadding(directory: URL) -> TextPadding {
        switch self {
        case .clip:
            return defaultTextPadding
        case .siglip:
            struct Names: Decodable {
                let names: [String]?
                enum CodingKeys: String, CodingKey { case names = "model_input_names" }
            }
            let url = directory.appendingPathComponent("tokenizer_config.json")
            let names = (try? Data(contentsOf: url)).flatMap { try? JSONDecoder().decode(Names.self, from: $0) }?.names
            return .toLength(64, masked: names?.contains("attention_mask") ?? true)
        }
    }

    /// `model.safetensors` in `directory`, or an error that says what to do when the folder has
    /// only PyTorch's pickle format.
    static func weightsFile(in directory: URL) throws -> URL {
        let weights = directory.appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: weights.path) else {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("pytorch_model.bin").path) {
                throw ModelError.missingFile(path: weights.path + " (this folder has only pytorch_model.bin; convert it to safetensors, e.g. with transformers' save_pretrained(safe_serialization=True))")
            }
            throw ModelError.missingFile(path: weights.path)
        }
        return weights
    }

    /// Decodes a `config.json`, turning every failure into one ``ModelError`` naming the file.
    static func decodeConfiguration<T: Decodable>(at url: URL) throws -> T {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ModelError.missingFile(path: url.path)
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw ModelError.invalidConfiguration(path: url.path, reason: error.shortDescription)
        } catch {
            throw ModelError.invalidConfiguration(path: url.path, reason: "not valid JSON")
        }
    }

    /// The two fields of `config.json` that name the family.
    private struct ConfigurationHeader: Decodable {
        let modelType: String?
        let architectures: [String]?
        enum CodingKeys: String, CodingKey {
            case modelType = "model_type", architectures
        }
    }
}
