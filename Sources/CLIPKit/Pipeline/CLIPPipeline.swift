import Foundation

/// Everything needed to turn images and texts into CLIP embeddings: the model, its tokenizer and
/// its image preprocessor, loaded together from one Hugging Face model folder.
///
/// The folder holds `config.json`, `model.safetensors`, `vocab.json`, `merges.txt` and
/// `preprocessor_config.json` (or the newer `processor_config.json`). A pipeline is immutable
/// and `Sendable`: one instance serves any number of concurrent tasks.
public struct CLIPPipeline: Sendable {
    /// The text and vision towers.
    public let model: CLIPModel
    /// Turns texts into the token ids the text tower reads.
    public let tokenizer: CLIPTokenizer
    /// Turns decoded images into the pixel tensors the vision tower reads.
    public let preprocessor: ImagePreprocessor

    /// Width of the shared embedding space.
    public var embeddingSize: Int { model.embeddingSize }

    /// Assembles a pipeline from parts already loaded. Throws
    /// ``PipelineError/invalidPreprocessorConfig(reason:)`` when the preprocessor's settings fail
    /// ``PreprocessorConfig/problem``, and
    /// ``PipelineError/incompatiblePreprocessor(expected:actual:)`` when its output is not what
    /// the vision tower reads.
    public init(model: CLIPModel, tokenizer: CLIPTokenizer, preprocessor: ImagePreprocessor) throws {
        if let problem = preprocessor.config.problem {
            throw PipelineError.invalidPreprocessorConfig(reason: problem)
        }
        let vision = model.configuration.vision
        let shape = preprocessor.outputShape
        let expected = [vision.channelCount, vision.imageSize, vision.imageSize]
        let actual = [shape.channels, shape.height, shape.width]
        guard expected == actual else {
            throw PipelineError.incompatiblePreprocessor(expected: expected, actual: actual)
        }
        self.model = model
        self.tokenizer = tokenizer
        self.preprocessor = preprocessor
    }

    /// Loads the model, tokenizer and preprocessor from a local model folder. Throws the error of
    /// the part that failed (``ModelError``, `WeightsError`, `TokenizerError`, `ImageError`) or
    /// ``PipelineError``. `precision` chooses the encoder layers' arithmetic (see ``Precision``).
    public init(directory: URL, precision: Precision = .fp32) throws {
        let model = try CLIPModel(directory: directory, precision: precision)
        let tokenizer = try CLIPTokenizer(directory: directory)
        let preprocessor = ImagePreprocessor(config: try PreprocessorConfig.load(fromDirectory: directory))
        try self.init(model: model, tokenizer: tokenizer, preprocessor: preprocessor)
    }

    /// Loads a pipeline from a local folder, a Hugging Face Hub id (`openai/clip-vit-base-patch32`,
    /// optionally `@revision`) or one of Spark NLP's model names, downloading what is missing.
    /// `precision` chooses the encoder layers' arithmetic (see ``Precision``).
    public static func load(_ idOrPath: String, precision: Precision = .fp32) async throws -> CLIPPipeline {
        let directory = try await ModelLocator.resolve(idOrPath)
        return try CLIPPipeline(directory: directory, precision: precision)
    }
}
