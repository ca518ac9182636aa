import CLIPKit

/// A bounded least-recently-used cache of label embeddings keyed by (templates, labels).
///
/// Concurrent requests for the same key share one computation. The bound counts label rows, so
/// a cache of many small label sets and one of a few large ones hold similar memory.
final class LabelEmbeddingCache: Sendable {
    /// What a cached entry was computed from.
    struct Key: Hashable, Sendable {
        /// Prompt templates; more than one is a prompt ensemble (embeddings averaged per label).
        let templates: [String]
        let labels: [String]
    }

    private struct Entry {
        let task: Task<Tensor, any Error>
        let rows: Int
        var lastUse: UInt64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var rows = 0
        var tick: UInt64 = 0
        var hits: UInt64 = 0
        var misses: UInt64 = 0
    }

    private let capacityRows: Int
    private let state = Locked(State())

    init(capacityRows: Int) {
        self.capacityRows = capacityRows
    }

    /// Cached (hits, misses) so far.
    var statistics: (hits: UInt64, misses: UInt64) {
        state.withLock { ($0.hits, $0.misses) }
    }

    /// Entries held now.
    var count: Int { state.withLock { $0.entries.count } }

    /// The normalised label embeddings for `key` [labels.count, embeddingSize], computed by
    /// `compute` on a miss. A failed computation is not cached.
    func embeddings(for key: Key, compute: @escaping @Sendable () async throws -> Tensor) async throws -> Tensor {
        let task: Task<Tensor, any Error> = state.withLock { state in
            state.tick &+= 1
            if var entry = state.entries[key] {
                entry.lastUse = state.tick
                state.entries[key] = entry
                state.hits &+= 1
                return entry.task
            }
            state.misses &+= 1
            let task = Task { try await compute() }
            let rows = key.labels.count
            guard rows <= capacityRows else { return task }  // too big to keep; computed once, not cached
            state.entries[key] = Entry(task: task, rows: rows, lastUse: state.tick)
            state.rows += rows
            while state.rows > capacityRows,
                  let oldest = state.entries.filter({ $0.key != key }).min(by: { $0.value.lastUse < $1.value.lastUse }) {
                state.entries[oldest.key] = nil
                state.rows -= oldest.value.rows
            }
            return task
        }
        do {
            return try await cancellableValue(of: task)
        } catch is CancellationError where Task.isCancelled {
            throw CancellationError()  // this waiter gave up; the computation goes on for the cache
        } catch {
            state.withLock { state in
                if let entry = state.entries[key], entry.task == task {
                    state.entries[key] = nil
                    state.rows -= entry.rows
                }
            }
            throw error
        }
    }
}
