import CLIPKit
/// The body of `POST /v1/classify`, in clipkit's shape or Hugging Face's zero-shot task shape.
struct ClassifyRequest: Decodable, Sendable {
    /// Hugging Face's `parameters` object.
    struct Parameters: Decodable, Sendable {
        /// A list of labels, or one comma-separated string as HF's pipeline also accepts.
        let candidateLabels: OneOrMany?
        let hypothesisTemplate: String?

        enum CodingKeys: String, CodingKey {
            case candidateLabels = "candidate_labels"
            case hypothesisTemplate = "hypothesis_template"
        }
    }

    // clipkit's shape
    let images: [String]?
    let labels: [String]?
    let template: String?
    /// Prompt ensemble: each label's embedding is the mean over these templates.
    let templates: [String]?
    let topK: Int?
    // Hugging Face's shape
    let inputs: OneOrMany?
    let parameters: Parameters?

    enum CodingKeys: String, CodingKey {
        case images, labels, template, templates, inputs, parameters
        case topK = "top_k"
    }

    /// The default template of Hugging Face's zero-shot image classification pipeline.
    static let huggingFaceTemplate = "This is a photo of {}."

    /// Whether the body uses Hugging Face's shape (and gets HF's answer shape).
    var isHuggingFaceShape: Bool { inputs != nil }

    /// The job this body asks for, in either shape.
    func job() throws -> ClassificationJob {
        if let inputs {
            guard images == nil, labels == nil else {
                throw ServerError.unprocessable(code: "mixed_shapes",
                                                message: "use either images/labels or inputs/parameters, not both")
            }
            var labels = parameters?.candidateLabels?.values ?? []
            if let given = parameters?.candidateLabels, given.isSingle {
                labels = given.values[0].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            }
            let template = parameters?.hypothesisTemplate ?? Self.huggingFaceTemplate
            return ClassificationJob(images: inputs.values.map(ClassificationJob.Image.encoded), labels: labels,
                                     templates: [template], topK: topK, singleInput: inputs.isSingle)
        }
        let resolved = try Self.templates(template: template, templates: templates)
        return ClassificationJob(images: (images ?? []).map(ClassificationJob.Image.encoded), labels: labels ?? [],
                                 templates: resolved, topK: topK, singleInput: false,
                                 usesDefaultTemplate: template == nil && templates == nil)
    }

    /// The prompt templates from `template` or `templates` (default `"{}"`); `templates` may
    /// also be the name of a built-in set (`"openai-imagenet"`, `"simple-imagenet"`). Never a
    /// file path: the server reads no file a client names.
    static func templates(template: String?, templates: [String]?) throws -> [String] {
        switch (template, templates) {
        case (nil, nil): return ["{}"]
        case (let one?, nil): return [one]
        case (nil, let many?):
            if many.count == 1, let set = PromptTemplateSet.named(many[0]) { return set.templates }
            guard !many.isEmpty else {
                throw ServerError.unprocessable(code: "invalid_template", message: "templates must not be empty")
            }
            return many
        case (_?, _?):
            throw ServerError.unprocessable(code: "invalid_template", message: "give template or templates, not both")
        }
    }
}

/// A classification request after parsing, whatever its shape.
struct ClassificationJob: Sendable {
    /// One image as the client sent it.
    enum Image: Sendable {
        /// A JSON string: data URI or base64.
        case encoded(String)
        /// Raw bytes from a multipart file part.
        case bytes(name: String, data: [UInt8])
    }

    var images: [Image]
    var labels: [String]
    var templates: [String]
    var topK: Int?
    /// Hugging Face's shape with a single image: the answer is one list, not a list of lists.
    var singleInput: Bool
    /// The client named no template: the model family's (``ModelFamily/defaultTemplate``:
    /// `"{}"` for CLIP, `"This is a photo of {}."` for SigLIP) replaces `templates` once the
    /// model is known.
    var usesDefaultTemplate = false
}
