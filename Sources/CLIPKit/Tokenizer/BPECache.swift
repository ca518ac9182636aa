import Foundation

/// Remembers the BPE ids of words already encoded; shared by all copies of a tokenizer.
///
/// Bounded like the word cache of `tokenizers`: once `capacity` words are stored, new words are
/// encoded but not remembered. Thread-safe: every access takes the lock.
final class BPECache: @unchecked Sendable {  // Mutable state is guarded by `lock`.
    /// Words longer than this many UTF-8 bytes are not cached.
    static let maximumWordLength = 64

    private let lock = NSLock()
    private var entries: [String: [Int32]] = [:]
    private let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    func ids(for word: String) -> [Int32]? {
        lock.lock()
        defer { lock.unlock() }
        return entries[word]
    }

    func insert(_ ids: [Int32], for word: String) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count < capacity { entries[word] = ids }
    }
}
