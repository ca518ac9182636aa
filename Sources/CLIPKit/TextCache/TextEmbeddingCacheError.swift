import Foundation

/// Problems of the text-embedding cache. Lookups report them in
/// ``TextEmbeddingLookup/problems`` rather than failing, except ``wrongShape(expected:actual:)``.
public enum TextEmbeddingCacheError: LocalizedError, Equatable, Sendable {
    /// A cache file failed its checks and was ignored.
    case corrupt(path: String, reason: String)
    /// A cache file or folder could not be read, written or removed.
    case io(path: String, reason: String)
    /// Another process held the cache file's lock for too long; nothing was saved.
    case lockTimeout(path: String)
    /// The compute closure returned a tensor of the wrong shape.
    case wrongShape(expected: [Int], actual: [Int])

    public var errorDescription: String? {
        switch self {
        case .corrupt(let path, let reason):
            return "text-embedding cache file \(path) is damaged (\(reason))"
        case .io(let path, let reason):
            return "text-embedding cache: \(path): \(reason)"
        case .lockTimeout(let path):
            return "text-embedding cache: timed out waiting for the lock \(path); results not cached"
        case .wrongShape(let expected, let actual):
            return "text embeddings have shape \(actual), expected \(expected)"
        }
    }
}
