/// The zero-shot result for one image: every candidate label's score (softmax probability
/// unless another ``ZeroShotScoreKind`` was asked for), best first.
public struct Classification: Sendable, Hashable, Codable {
    /// All candidate labels with their probabilities, sorted by descending score; labels with
    /// equal scores keep the order they were given in.
    public let scores: [LabelScore]

    /// Wraps scores already sorted by descending score.
    public init(sortedScores: [LabelScore]) {
        scores = sortedScores
    }

    /// Sorts `scores` descending (stable: ties keep their order).
    public init(scores: [LabelScore]) {
        self.scores = scores.enumerated()
            .sorted { $0.element.score != $1.element.score ? $0.element.score > $1.element.score : $0.offset < $1.offset }
            .map(\.element)
    }

    /// The most probable label.
    public var label: String { scores.first?.label ?? "" }

    /// The probability of ``label``.
    public var score: Float { scores.first?.score ?? 0 }

    /// The `k` most probable labels (all of them when `k` is at least their number).
    public func top(_ k: Int) -> ArraySlice<LabelScore> {
        scores.prefix(max(0, k))
    }

    /// Multi-label selection: every label whose score is at least `threshold`, best first
    /// (possibly none). Meant for ``ZeroShotScoreKind/cosine`` or ``ZeroShotScoreKind/logit``
    /// scores, which do not depend on the other labels; a softmax threshold does.
    public func labels(scoringAtLeast threshold: Float) -> ArraySlice<LabelScore> {
        scores.prefix { $0.score >= threshold }
    }

    /// The score of `label`, or `nil` when it is not a candidate.
    public func score(of label: String) -> Float? {
        scores.first { $0.label == label }?.score
    }
}
