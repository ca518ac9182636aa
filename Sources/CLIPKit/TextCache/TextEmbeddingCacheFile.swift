import Foundation

/// A summary of one model's file in the ``TextEmbeddingCache`` (for `clipkit cache info`).
public struct TextEmbeddingCacheFile: Sendable, Hashable {
    /// The file.
    public let path: String
    /// Its size on disk.
    public let bytes: Int
    /// The model identity it was written for (see ``ModelIdentity``); `nil` when unreadable.
    public let model: String?
    /// Floats per vector.
    public let width: Int
    /// Prompts stored.
    public let prompts: Int
    /// The newest last-use stamp of its prompts.
    public let lastUsed: Date?
    /// Why the file cannot be used (it will be rebuilt), or `nil`.
    public let problem: String?
}
