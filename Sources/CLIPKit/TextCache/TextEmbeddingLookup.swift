/// Prompt embeddings a caller computed for the ``TextEmbeddingCache``.
public struct TextEmbeddingRows: Sendable {
    /// One L2-normalised row per prompt. [prompts, width]
    public var embeddings: Tensor
    /// Per prompt: whether it was truncated to the text context.
    public var truncated: [Bool]

    /// Pairs rows with their truncation flags.
    public init(embeddings: Tensor, truncated: [Bool]) {
        self.embeddings = embeddings
        self.truncated = truncated
    }
}

/// The answer of a ``TextEmbeddingCache`` lookup.
public struct TextEmbeddingLookup: Sendable {
    /// One row per requested prompt, in request order. [prompts, width]
    public let embeddings: Tensor
    /// Per requested prompt: whether it was truncated to the text context.
    public let truncated: [Bool]
    /// Distinct prompts found in the cache.
    public let hits: Int
    /// Distinct prompts that had to be computed.
    public let misses: Int
    /// Cache trouble met on the way (a damaged file ignored, a file that could not be saved);
    /// the embeddings are right regardless. Callers decide whether to warn.
    public let problems: [TextEmbeddingCacheError]
}
