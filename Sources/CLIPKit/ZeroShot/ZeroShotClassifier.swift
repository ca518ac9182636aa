import Foundation

/// Zero-shot image classification: scores images against a fixed set of candidate labels.
///
/// Each label becomes a prompt through a template (`"{}"` by default, e.g.
/// `"This is a photo of {}."`), as transformers' zero-shot image classification pipeline does
/// with its `hypothesis_template`. The prompts are embedded once, when the classifier is built,
/// and reused for every image. Results name labels, never prompts.
public struct ZeroShotClassifier: Sendable {
    /// The model, tokenizer and preprocessor.
    public let pipeline: CLIPPipeline
    /// The candidate labels, in the order given.
    public let labels: [String]
    /// The template the prompts were built from.
    public let template: String
    /// The text embedded for each label: `template` with every `{}` replaced by the label.
    public let prompts: [String]
    /// Labels whose prompt was longer than the text context and was truncated as CLIP's
    /// tokenizer does. Callers decide whether and how to warn.
    public let truncatedLabels: [String]
    /// Normalised prompt embeddings. [labels.count, embeddingSize]
    let labelEmbeddings: Tensor

    /// Builds a classifier and embeds its prompts. Throws ``ClassifierError`` for an empty
    /// label list, an empty or duplicate label, or a template without `{}`.
    public init(pipeline: CLIPPipeline, labels: [String], template: String = "{}") throws {
        try Self.validate(labels: labels, template: template)
        let prompts = labels.map { Self.prompt(for: $0, template: template) }
        let tokenized = prompts.map(pipeline.tokenize)
        self.pipeline = pipeline
        self.labels = labels
        self.template = template
        self.prompts = prompts
        truncatedLabels = zip(labels, tokenized).filter { $0.1.isTruncated }.map(\.0)
        labelEmbeddings = try pipeline.textEmbeddings(tokenized: tokenized)
    }

    /// Checks labels and template without a model: at least one label, none empty (or only
    /// whitespace), no duplicates, and a `{}` in the template. Throws ``ClassifierError``.
    public static func validate(labels: [String], template: String = "{}") throws {
        guard !labels.isEmpty else { throw ClassifierError.noLabels }
        var seen = Set<String>()
        for (i, label) in labels.enumerated() {
            guard !label.allSatisfy(\.isWhitespace) else { throw ClassifierError.emptyLabel(position: i + 1) }
            guard seen.insert(label).inserted else { throw ClassifierError.duplicateLabel(label) }
        }
        guard template.contains("{}") else { throw ClassifierError.templateWithoutPlaceholder(template) }
    }

    /// `template` with every `{}` replaced by `label`.
    public static func prompt(for label: String, template: String) -> String {
        template.replacingOccurrences(of: "{}", with: label)
    }

    /// Classifies an image file (format detected from its content). Throws `ImageError`.
    public func classify(contentsOf url: URL, options: ImageDecodingOptions = .init()) throws -> Classification {
        try classify(ImageDecoder.decode(contentsOf: url, options: options))
    }

    /// Classifies encoded image bytes; `name` identifies them in errors. Throws `ImageError`.
    public func classify(_ data: Data, name: String, options: ImageDecodingOptions = .init()) throws -> Classification {
        try classify(ImageDecoder.decode(data, name: name, options: options))
    }

    /// Classifies a decoded image.
    public func classify(_ image: DecodedImage) throws -> Classification {
        try classify(pixels: pipeline.pixels(for: [image]))[0]
    }

    /// Classifies a batch of preprocessed images [images, channels, size, size], one result per image.
    public func classify(pixels: Tensor) throws -> [Classification] {
        classify(imageEmbeddings: try pipeline.model.imageEmbeddings(pixels: pixels))
    }

    /// Scores image embeddings [images, embeddingSize] (normalised or not) against the labels.
    public func classify(imageEmbeddings: Tensor) -> [Classification] {
        let logits = ZeroShotScores.logits(images: imageEmbeddings, texts: labelEmbeddings,
                                           logitScale: pipeline.model.logitScale)
        let probabilities = ZeroShotScores.probabilities(logits: logits)
        let n = labels.count
        let rows = imageEmbeddings.shape.first ?? 0
        return (0..<rows).map { row in
            Classification(scores: (0..<n).map { LabelScore(label: labels[$0], score: probabilities.scalars[row * n + $0]) })
        }
    }

    /// Classifies many images; see ``ImageBatchSequence`` for ordering, memory and errors.
    public func classifications(of inputs: [ImageInput], options: BatchOptions = .init()) -> ImageBatchSequence<Classification> {
        let classifier = self
        return ImageBatchSequence(inputs: inputs, pipeline: pipeline, options: options) {
            classifier.classify(imageEmbeddings: $0)
        }
    }
}
