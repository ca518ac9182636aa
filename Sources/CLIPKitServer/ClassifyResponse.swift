/// One label's score in an answer.
struct ScoredLabel: Codable, Sendable, Equatable {
    let label: String
    /// The model family's probability: softmax over the candidate labels (CLIP), or a sigmoid
    /// per label (SigLIP), as transformers' pipeline returns.
    let score: Float
    /// Raw cosine similarity of the image and the label's prompt embedding.
    let cosine: Float
}

/// One image's result in clipkit's answer shape: the best label and the scores, or an error.
enum ClassifyItem: Encodable, Sendable {
    case success(label: String, score: Float, scores: [ScoredLabel])
    case failure(ErrorBody)

    private enum CodingKeys: String, CodingKey { case label, score, scores, error }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .success(label, score, scores):
            try container.encode(label, forKey: .label)
            try container.encode(score, forKey: .score)
            try container.encode(scores, forKey: .scores)
        case .failure(let error):
            try container.encode(error, forKey: .error)
        }
    }
}

/// The answer of `POST /v1/classify` in clipkit's shape.
struct ClassifyResponse: Encodable, Sendable {
    let results: [ClassifyItem]
    let model: String
}
