import Foundation

/// Everything needed to turn images and texts into embeddings and zero-shot scores: a model of
/// one ``ModelFamily`` (CLIP, SigLIP), its tokenizer and its image preprocessor, loaded together
/// from one Hugging Face model folder. The family, read from `config.json`, decides which
/// towers, tokenizer, preprocessing defaults, text padding and default score are used; nothing
/// downstream asks which family it has.
///
/// A CLIP folder holds `config.json`, `model.safetensors`, `vocab.json`, `merges.txt` and
/// `preprocessor_config.json` (or the newer `processor_config.json`); a SigLIP folder
/// `spiece.model` or `tokenizer.json` (with `tokenizer_config.json`) instead of the BPE files.
/// A pipeline is immutable and `Sendable`: one instance serves any number of concurrent tasks.
public struct CLIPPipeline: Sendable {
    /// The text and vision towers.
    public let model: any ZeroShotModel
    /// Turns texts into the token ids the text tower reads.
    public let tokenizer: any TextTokenizer
    /// Turns decoded images into the pixel tensors the vision tower reads.
    public let preprocessor: ImagePreprocessor
    /// How texts are padded before the text tower (``ModelFamily/textPadding(directory:)``).
    public let textPadding: TextPadding

    /// The model's family.
    public var family: ModelFamily { model.family }
    /// Width of the shared embedding space.
    public var embeddingSize: Int { model.embeddingSize }
    /// The scores zero-shot classification reports unless asked otherwise
    /// (``ModelFamily/defaultScoreKind``).
    public var defaultScoreKind: ZeroShotScoreKind { family.defaultScoreKind }

    /// Assembles a pipeline from parts already loaded. Throws
    /// ``PipelineError/invalidPreprocessorConfig(reason:)`` when the preprocessor's settings fail
    /// ``PreprocessorConfig/problem``, and
    /// ``PipelineError/incompatiblePreprocessor(expected:actual:)`` when its output is not what
    /// the vision tower reads. `textPadding` defaults to the family's
    /// (``ModelFamily/defaultTextPadding``).
    public init(model: any ZeroShotModel, tokenizer: any TextTokenizer, preprocessor: ImagePreprocessor,
                textPadding: TextPadding? = nil) throws {
        if let problem = preprocessor.config.problem {
            throw PipelineError.invalidPreprocessorConfig(reason: problem)
        }
        let vision = model.visionInput
        let shape = preprocessor.outputShape
        let expected = [vision.channelCount, vision.imageSize, vision.imageSize]
        let actual = [shape.channels, shape.height, shape.width]
        guard expected == actual else {
            throw PipelineError.incompatiblePreprocessor(expected: expected, actual: actual)
        }
        self.model = model
        self.tokenizer = tokenizer
        self.preprocessor = preprocessor
        self.textPadding = textPadding ?? model.family.defaultTextPadding
    }

    /// Loads the model, tokenizer and preprocessor from a local model folder, as its
    /// ``ModelFamily`` says. Throws the error of the part that failed (``ModelError``,
    /// `WeightsError`, `TokenizerError`, `ImageError`) or ``PipelineError``. `precision` chooses
    /// the encoder layers' arithmetic (see ``Precision``); `weightCache` keeps its packed weights
    /// between processes (``PackedWeightCache``; nil: none).
    public init(directory: URL, precision: Precision = .fp32,
                weightCache: PackedWeightCache? = PackedWeightCache.standard()) throws {
        let family = try ModelFamily.detect(directory: directory)
        let model = try family.loadModel(directory: directory, precision: precision, weightCache: weightCache)
        let tokenizer = try TokenizerLoader.load(directory: directory)
        let config = try PreprocessorConfig.load(fromDirectory: directory, defaults: family.defaultPreprocessorConfig)
        try self.init(model: model, tokenizer: tokenizer, preprocessor: ImagePreprocessor(config: config),
                      textPadding: family.textPadding(directory: directory))
    }

    /// Loads a pipeline from a local folder, a Hugging Face Hub id (`openai/clip-vit-base-patch32`,
    /// `google/siglip-base-patch16-224`, optionally `@revision`) or one of Spark NLP's model
    /// names, downloading what is missing. `precision` chooses the encoder layers' arithmetic
    /// (see ``Precision``), packed weights kept in `weightCache`.
    public static func load(_ idOrPath: String, precision: Precision = .fp32,
                            weightCache: PackedWeightCache? = PackedWeightCache.standard()) async throws -> CLIPPipeline {
        let directory = try await ModelLocator.resolve(idOrPath)
        return try CLIPPipeline(directory: directory, precision: precision, weightCache: weightCache)
    }
}
