import Foundation

/// Zero-shot image classification: scores images against a fixed set of candidate labels.
///
/// Each label becomes prompts through templates (the family's ``ModelFamily/defaultTemplate``
/// by default: `"{}"` for CLIP, `"This is a photo of {}."` for SigLIP), as transformers'
/// zero-shot image classification pipeline does with its `hypothesis_template`. With several templates (an ensemble, e.g.
/// ``PromptTemplateSet/openAIImageNet``) a label's prompt embeddings are L2-normalised, averaged
/// and normalised again, as open_clip's `build_zero_shot_classifier` does. The prompts are
/// embedded once, when the classifier is built (or read from a ``TextEmbeddingCache``), and
/// reused for every image. Results name labels, never prompts.
public struct ZeroShotClassifier: Sendable {
    /// The model, tokenizer and preprocessor.
    public let pipeline: CLIPPipeline
    /// The candidate labels, in the order given.
    public let labels: [String]
    /// The templates the prompts were built from, in order (one unless an ensemble).
    public let templates: [String]
    /// The first template (the only one unless the classifier is an ensemble).
    public var template: String { templates.first ?? "{}" }
    /// The texts embedded, label by label: `prompts[label * templates.count + t]` is
    /// `templates[t]` with every `{}` replaced by `labels[label]`.
    public let prompts: [String]
    /// Labels with a prompt longer than the text context, truncated as CLIP's tokenizer does.
    /// Callers decide whether and how to warn.
    public let truncatedLabels: [String]
    /// What the text-embedding cache did, when one was used.
    public let cacheLookup: TextEmbeddingLookup?
    /// One normalised embedding per label (the normalised mean of its normalised prompt
    /// embeddings). [labels.count, embeddingSize]
    public let labelEmbeddings: Tensor

    /// Builds a single-template classifier and embeds its prompts; `nil` takes the family's
    /// ``ModelFamily/defaultTemplate``. Throws ``ClassifierError`` for an empty label list, an
    /// empty or duplicate label, or a template without `{}`.
    public init(pipeline: CLIPPipeline, labels: [String], template: String? = nil) throws {
        try self.init(pipeline: pipeline, labels: labels, templates: [template ?? pipeline.family.defaultTemplate])
    }

    /// Builds a classifier from a template set (an ensemble when it has several templates).
    public init(pipeline: CLIPPipeline, labels: [String], templates: PromptTemplateSet, cache: TextEmbeddingCache? = nil) throws {
        try self.init(pipeline: pipeline, labels: labels, templates: templates.templates, cache: cache)
    }

    /// Builds a classifier whose label embeddings average the prompts of every template, reading
    /// and filling `cache` when given. Throws ``ClassifierError`` for invalid labels or templates,
    /// or the text tower's error.
    public init(pipeline: CLIPPipeline, labels: [String], templates: [String], cache: TextEmbeddingCache? = nil) throws {
        try Self.validate(labels: labels, templates: templates)
        let prompts = labels.flatMap { label in templates.map { Self.prompt(for: label, template: $0) } }
        let width = pipeline.embeddingSize
        let compute = { (texts: [String]) throws -> TextEmbeddingRows in
            let tokenized = texts.map(pipeline.tokenize)
            return TextEmbeddingRows(embeddings: try pipeline.textEmbeddings(tokenized: tokenized), truncated: tokenized.map(\.truncated))
        }
        let rows: TextEmbeddingRows
        if let cache {
            let lookup = try cache.embeddings(for: prompts, model: ModelIdentity(model: pipeline.model), width: width, compute: compute)
            rows = TextEmbeddingRows(embeddings: lookup.embeddings, truncated: lookup.truncated)
            cacheLookup = lookup
        } else {
            rows = try compute(prompts)
            cacheLookup = nil
        }
        self.pipeline = pipeline
        self.labels = labels
        self.templates = templates
        self.prompts = prompts
        let perLabel = templates.count
        truncatedLabels = labels.indices.filter { rows.truncated[$0 * perLabel..<($0 + 1) * perLabel].contains(true) }.map { labels[$0] }
        labelEmbeddings = Self.ensembled(rows.embeddings, templatesPerLabel: perLabel)
    }

    /// open_clip's ensemble: rows [labels × templates, d] (each already normalised), label by
    /// label → the mean of each label's rows, normalised. [labels, d]
    public static func ensembled(_ promptEmbeddings: Tensor, templatesPerLabel: Int) -> Tensor {
        guard templatesPerLabel > 1, promptEmbeddings.rank == 2 else { return promptEmbeddings }
        let (rows, width) = (promptEmbeddings.shape[0], promptEmbeddings.shape[1])
        let labelCount = rows / templatesPerLabel
        var out = Tensor(zeros: [labelCount, width])
        let scale = 1 / Float(templatesPerLabel)
        promptEmbeddings.scalars.withUnsafeBufferPointer { source in
            out.scalars.withUnsafeMutableBufferPointer { destination in
                for label in 0..<labelCount {
                    for t in 0..<templatesPerLabel {
                        let row = (label * templatesPerLabel + t) * width
                        for j in 0..<width { destination[label * width + j] += source[row + j] }
                    }
                    for j in 0..<width { destination[label * width + j] *= scale }
                }
            }
        }
        return ZeroShotScores.normalized(out)
    }

    /// Checks labels and template without a model: at least one label, none empty (or only
    /// whitespace), no duplicates, and a `{}` in the template. Throws ``ClassifierError``.
    public static func validate(labels: [String], template: String = "{}") throws {
        try validate(labels: labels, templates: [template])
    }

    /// Checks labels and templates without a model (see ``validate(labels:template:)``; also at
    /// least one template). Throws ``ClassifierError``.
    public static func validate(labels: [String], templates: [String]) throws {
        guard !labels.isEmpty else { throw ClassifierError.noLabels }
        var seen = Set<String>()
        for (i, label) in labels.enumerated() {
            guard !label.allSatisfy(\.isWhitespace) else { throw ClassifierError.emptyLabel(position: i + 1) }
            guard seen.insert(label).inserted else { throw ClassifierError.duplicateLabel(label) }
        }
        try validate(templates: templates)
    }

    /// Checks templates: at least one, each with a `{}`. Throws ``ClassifierError``.
    public static func validate(templates: [String]) throws {
        guard !templates.isEmpty else { throw ClassifierError.noTemplates }
        for template in templates where !template.contains("{}") {
            throw ClassifierError.templateWithoutPlaceholder(template)
        }
    }

    /// `template` with every `{}` replaced by `label`.
    public static func prompt(for label: String, template: String) -> String {
        template.replacingOccurrences(of: "{}", with: label)
    }

    /// Classifies an image file (format detected from its content). Throws `ImageError`.
    public func classify(contentsOf url: URL, options: ImageDecodingOptions = .init(), scores kind: ZeroShotScoreKind? = nil) throws -> Classification {
        try classify(ImageDecoder.decode(contentsOf: url, options: options), scores: kind)
    }

    /// Classifies encoded image bytes; `name` identifies them in errors. Throws `ImageError`.
    public func classify(_ data: Data, name: String, options: ImageDecodingOptions = .init(), scores kind: ZeroShotScoreKind? = nil) throws -> Classification {
        try classify(ImageDecoder.decode(data, name: name, options: options), scores: kind)
    }

    /// Classifies a decoded image.
    public func classify(_ image: DecodedImage, scores kind: ZeroShotScoreKind? = nil) throws -> Classification {
        try classify(pixels: pipeline.pixels(for: [image]), scores: kind)[0]
    }

    /// Classifies a batch of preprocessed images [images, channels, size, size], one result per image.
    public func classify(pixels: Tensor, scores kind: ZeroShotScoreKind? = nil) throws -> [Classification] {
        classify(imageEmbeddings: try pipeline.model.imageEmbeddings(pixels: pixels), scores: kind)
    }

    /// Scores image embeddings [images, embeddingSize] (normalised or not) against the labels:
    /// the family's probabilities by default (softmax for CLIP, sigmoid for SigLIP), or another
    /// ``ZeroShotScoreKind``.
    public func classify(imageEmbeddings: Tensor, scores kind: ZeroShotScoreKind? = nil) -> [Classification] {
        let scores = ZeroShotScores.scores(images: imageEmbeddings, texts: labelEmbeddings,
                                           logitScale: pipeline.model.logitScale, logitBias: pipeline.model.logitBias,
                                           kind: kind ?? pipeline.defaultScoreKind)
        let n = labels.count
        let rows = imageEmbeddings.shape.first ?? 0
        return (0..<rows).map { row in
            Classification(scores: (0..<n).map { LabelScore(label: labels[$0], score: scores.scalars[row * n + $0]) })
        }
    }

    /// Classifies many images; see ``ImageBatchSequence`` for ordering, memory and errors.
    public func classifications(of inputs: [ImageInput], options: BatchOptions = .init(),
                                scores kind: ZeroShotScoreKind? = nil) -> ImageBatchSequence<Classification> {
        let classifier = self
        return ImageBatchSequence(inputs: inputs, pipeline: pipeline, options: options) {
            classifier.classify(imageEmbeddings: $0, scores: kind)
        }
    }
}
