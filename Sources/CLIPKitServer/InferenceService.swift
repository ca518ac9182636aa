import CLIPKit
import Foundation

/// What the model routes do, independent of HTTP: validate, admit, decode, batch, score.
final class InferenceService: Sendable {
    let configuration: ServerConfiguration
    let engine: InferenceEngine
    let metrics: ServerMetrics
    let labelCache: LabelEmbeddingCache
    /// Label prompts being computed (labels × templates of label sets not yet cached).
    let promptBudget: AdmissionBudget
    private let preparer: ImagePreparer

    init(configuration: ServerConfiguration, metrics: ServerMetrics) {
        self.configuration = configuration
        self.metrics = metrics
        engine = InferenceEngine(configuration: configuration, metrics: metrics)
        labelCache = LabelEmbeddingCache(capacityRows: configuration.labelCacheRows)
        promptBudget = AdmissionBudget(capacity: configuration.maxQueuedPrompts)
        preparer = ImagePreparer(configuration: configuration)
    }

    // MARK: Classification

    /// Classifies the job's images; one result per image, in order. Throws ``ServerError`` for
    /// problems with the whole request (labels, limits, overload, deadline, no valid image).
    func classify(_ job: ClassificationJob, deadline: ContinuousClock.Instant, timings: RequestTimings,
                  connection: ClientConnection = .detached) async throws -> [Result<[ScoredLabel], ServerError>] {
        let pipeline = try engine.pipeline()
        let job = {
            var resolved = job
            if resolved.usesDefaultTemplate { resolved.templates = [pipeline.family.defaultTemplate] }
            return resolved
        }()
        try validate(job)
        try engine.admit(job.images.count)
        defer { engine.release(job.images.count) }

        let key = LabelEmbeddingCache.Key(templates: job.templates, labels: job.labels)
        let textDeadline = ContinuousClock.now + configuration.requestTimeout
        let prompts = job.templates.count * job.labels.count
        // Both waits end at the request's deadline; a label computation in progress goes on for the
        // cache. A computation holds its prompts against the prompt budget until it ends, so label
        // sets in flight stay bounded; when the budget is spent the label part fails with 503 at
        // once and the group cancels the image part.
        let (embeddings, labels) = try await withDeadline(deadline) { [self] in
            try await withThrowingTaskGroup(of: ClassificationPart.self) { group in
                group.addTask { [self] in
                    .labels(try await labelCache.embeddings(for: key) { [engine, promptBudget] in
                        try promptBudget.reserve(prompts)
                        defer { promptBudget.release(prompts) }
                        return try await Self.labelEmbeddings(key, pipeline: pipeline, engine: engine,
                                                              deadline: textDeadline)
                    })
                }
                group.addTask { [self] in
                    .images(try await imageEmbeddings(job.images, pipeline: pipeline, deadline: deadline,
                                                      timings: timings, connection: connection))
                }
                var images: [Result<[Float], ServerError>]?
                var labels: Tensor?
                for try await part in group {
                    switch part {
                    case .images(let results): images = results
                    case .labels(let tensor): labels = tensor
                    }
                }
                guard let images, let labels else { throw ServerError.internalError("missing embeddings") }
                return (images, labels)
            }
        }

        let good = embeddings.enumerated().compactMap { index, result in (try? result.get()).map { (index, $0) } }
        guard !good.isEmpty else {
            if job.images.count == 1, case .failure(let error) = embeddings[0] { throw error }
            throw ServerError.noValidImages
        }
        let width = pipeline.embeddingSize
        guard let imageTensor = Tensor(shape: [good.count, width], scalars: good.flatMap(\.1)) else {
            throw ServerError.internalError("embedding of the wrong size")
        }
        // The family's probabilities (softmax over labels for CLIP, sigmoid per label for SigLIP,
        // as transformers' pipeline returns them) and the cosines.
        let probabilities = ZeroShotScores.scores(images: imageTensor, texts: labels, logitScale: pipeline.model.logitScale,
                                                  logitBias: pipeline.model.logitBias, kind: pipeline.defaultScoreKind)
        let logits = ZeroShotScores.logits(images: imageTensor, texts: labels, logitScale: pipeline.model.logitScale)
        let scale = expf(pipeline.model.logitScale)
        let n = job.labels.count
        var results = embeddings.map { result -> Result<[ScoredLabel], ServerError> in
            if case .failure(let error) = result { return .failure(error) }
            return .failure(.internalError("missing result"))
        }
        for (row, (index, _)) in good.enumerated() {
            let scores = (0..<n).map { j in
                ScoredLabel(label: job.labels[j], score: probabilities.scalars[row * n + j],
                            cosine: logits.scalars[row * n + j] / scale)
            }
            let sorted = scores.enumerated()
                .sorted { $0.element.score != $1.element.score ? $0.element.score > $1.element.score : $0.offset < $1.offset }
                .map(\.element)
            results[index] = .success(Array(sorted.prefix(job.topK ?? n)))
        }
        return results
    }

    private func validate(_ job: ClassificationJob) throws {
        guard !job.images.isEmpty else {
            throw ServerError.unprocessable(code: "no_images", message: "give at least one image")
        }
        guard job.images.count <= configuration.maxQueue else {
            throw ServerError.unprocessable(code: "too_many_images",
                                            message: "at most \(configuration.maxQueue) images per request")
        }
        guard job.labels.count <= configuration.maxLabels else {
            throw ServerError.unprocessable(code: "too_many_labels",
                                            message: "at most \(configuration.maxLabels) labels per request")
        }
        // Prompts (labels × templates) run on the text tower in one job: bound them too.
        let maxPrompts = min(min(configuration.maxLabels, Int.max / 4) * 4, configuration.maxQueuedPrompts)
        guard job.templates.count * max(1, job.labels.count) <= maxPrompts else {
            throw ServerError.unprocessable(code: "too_many_prompts",
                                            message: "labels × templates is limited to \(maxPrompts) prompts per request")
        }
        if let topK = job.topK, topK < 1 {
            throw ServerError.unprocessable(code: "invalid_top_k", message: "top_k must be at least 1")
        }
        for text in job.labels + job.templates where text.count > configuration.maxTextLength {
            throw ServerError.unprocessable(code: "text_too_long",
                                            message: "labels and templates are limited to \(configuration.maxTextLength) characters")
        }
        do {
            for template in job.templates { try ZeroShotClassifier.validate(labels: job.labels, template: template) }
        } catch let error as ClassifierError {
            let code: String
            switch error {
            case .noLabels: code = "no_labels"
            case .emptyLabel: code = "empty_label"
            case .duplicateLabel: code = "duplicate_label"
            case .templateWithoutPlaceholder, .noTemplates, .unknownTemplateSet, .unreadableTemplates:
                code = "invalid_template"
            }
            throw ServerError.unprocessable(code: code, message: error.localizedDescription)
        }
    }

    /// One half of a classification: the images' embeddings or the labels' [labels, width].
    private enum ClassificationPart: Sendable {
        case images([Result<[Float], ServerError>])
        case labels(Tensor)
    }

    /// Normalised label embeddings [labels, width] for a cache key: with several templates,
    /// open_clip's ensemble as ``ZeroShotClassifier`` computes it (each label's normalised
    /// prompt embeddings averaged, normalised again), the text tower run on the engine.
    static func labelEmbeddings(_ key: LabelEmbeddingCache.Key, pipeline: CLIPPipeline, engine: InferenceEngine,
                                deadline: ContinuousClock.Instant) async throws -> Tensor {
        // Label by label, each label's prompts side by side: the layout `ensembled` reads.
        let prompts = key.labels.flatMap { label in
            key.templates.map { ZeroShotClassifier.prompt(for: label, template: $0) }
        }
        let (embeddings, _) = try await engine.embedTexts(prompts.map(pipeline.tokenize), deadline: deadline)
        return ZeroShotClassifier.ensembled(embeddings, templatesPerLabel: key.templates.count)
    }

    /// Embeddings of the images, each decoded in parallel then batched with other requests'.
    private func imageEmbeddings(_ images: [ClassificationJob.Image], pipeline: CLIPPipeline,
                                 deadline: ContinuousClock.Instant, timings: RequestTimings,
                                 connection: ClientConnection) async throws -> [Result<[Float], ServerError>] {
        try await withDeadline(deadline) { [self] in
            try await withThrowingTaskGroup(of: (Int, Result<[Float], ServerError>).self) { group in
                for (index, image) in images.enumerated() {
                    group.addTask { [self] in
                        (index, try await embed(image, index: index, pipeline: pipeline, deadline: deadline,
                                                timings: timings, connection: connection))
                    }
                }
                var results = [Result<[Float], ServerError>](repeating: .failure(.internalError("missing")),
                                                             count: images.count)
                for try await (index, result) in group { results[index] = result }
                return results
            }
        }
    }

    private func embed(_ image: ClassificationJob.Image, index: Int, pipeline: CLIPPipeline,
                       deadline: ContinuousClock.Instant, timings: RequestTimings,
                       connection: ClientConnection) async throws -> Result<[Float], ServerError> {
        let data: Data
        let name: String
        switch image {
        case .encoded(let string):
            switch ImagePayload.bytes(fromJSONString: string) {
            case .success(let bytes): data = bytes
            case .failure(let error): return .failure(error)
            }
            name = "image \(index)"
        case .bytes(let fileName, let bytes):
            data = Data(bytes)
            name = fileName
        }
        let pixels: [Float]
        switch await preparer.pixels(of: data, name: name, pipeline: pipeline) {
        case .success(let p): pixels = p
        case .failure(let error): return .failure(error)
        }
        try Task.checkCancellation()
        guard ContinuousClock.now < deadline else { throw ServerError.deadlineExceeded }
        let (embedding, itemTimings) = try await engine.embedImage(pixels: pixels, deadline: deadline,
                                                                   connection: connection)
        timings.record(itemTimings)
        return .success(embedding)
    }

    // MARK: Embeddings

    /// Embeds texts or images for `POST /v1/embeddings`.
    func embeddings(_ request: EmbeddingsRequest, deadline: ContinuousClock.Instant, timings: RequestTimings,
                    connection: ClientConnection = .detached) async throws -> EmbeddingsResponse {
        let pipeline = try engine.pipeline()
        let inputs = request.input.values
        guard !inputs.isEmpty else {
            throw ServerError.unprocessable(code: "no_input", message: "input must not be empty")
        }
        guard inputs.count <= configuration.maxQueue else {
            throw ServerError.unprocessable(code: "too_many_inputs",
                                            message: "at most \(configuration.maxQueue) inputs per request")
        }
        let base64: Bool
        switch request.encodingFormat ?? "float" {
        case "float": base64 = false
        case "base64": base64 = true
        default:
            throw ServerError.unprocessable(code: "invalid_encoding_format", message: "encoding_format must be float or base64")
        }
        if let dimensions = request.dimensions, dimensions != pipeline.embeddingSize {
            throw ServerError.unprocessable(code: "invalid_dimensions",
                                            message: "this model's embeddings have \(pipeline.embeddingSize) dimensions")
        }
        try engine.admit(inputs.count)
        defer { engine.release(inputs.count) }

        let vectors: [[Float]]
        var tokens = 0
        switch request.modality ?? "text" {
        case "text":
            for text in inputs where text.count > configuration.maxTextLength {
                throw ServerError.unprocessable(code: "text_too_long",
                                                message: "inputs are limited to \(configuration.maxTextLength) characters")
            }
            let tokenized = inputs.map(pipeline.tokenize)
            tokens = tokenized.reduce(0) { $0 + $1.ids.count }
            let (tensor, itemTimings) = try await withDeadline(deadline) { [engine] in
                try await engine.embedTexts(tokenized, deadline: deadline)
            }
            timings.record(itemTimings)
            let width = pipeline.embeddingSize
            vectors = (0..<inputs.count).map { Array(tensor.scalars[$0 * width..<($0 + 1) * width]) }
        case "image":
            let results = try await imageEmbeddings(inputs.map(ClassificationJob.Image.encoded), pipeline: pipeline,
                                                    deadline: deadline, timings: timings, connection: connection)
            vectors = try results.enumerated().map { index, result in
                switch result {
                case .success(let vector): return vector
                case .failure(let error):
                    throw ServerError.unprocessable(code: error.code, message: "input \(index): \(error.localizedDescription)")
                }
            }
        default:
            throw ServerError.unprocessable(code: "invalid_modality", message: "modality must be text or image")
        }
        let items = vectors.enumerated().map { index, vector in
            EmbeddingsResponse.Item(index: index, embedding: base64 ? .base64(Self.base64(vector)) : .floats(vector))
        }
        return EmbeddingsResponse(data: items, model: request.model ?? configuration.modelID,
                                  usage: .init(promptTokens: tokens, totalTokens: tokens))
    }

    /// Base64 of little-endian float32 bytes, as OpenAI's `encoding_format: "base64"`.
    static func base64(_ vector: [Float]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            let bits = value.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { bytes += $0 }
        }
        return Data(bytes).base64EncodedString()
    }
}
