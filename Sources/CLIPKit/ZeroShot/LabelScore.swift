/// One candidate label and its score for an image.
public struct LabelScore: Sendable, Hashable, Codable {
    /// The label as given (not the prompt built from it).
    public let label: String
    /// Softmax probability over all candidate labels, in [0, 1], unless the classifier was asked
    /// for another ``ZeroShotScoreKind`` (a cosine or a logit).
    public let score: Float

    /// Pairs a label with its score.
    public init(label: String, score: Float) {
        self.label = label
        self.score = score
    }
}
