/// Bounds the request-body bytes held in memory across all requests at once.
///
/// Admission (``InferenceEngine/admit(_:)``) counts items only after a body is parsed, so without
/// this many concurrent large bodies could together use unbounded memory. A request reserves its
/// `Content-Length` (or the body limit when it is not known) before reading; when the budget is
/// spent it is answered 503 with `Retry-After`.
final class BodyBudget: Sendable {
    private let capacity: Int
    private let used = Locked(0)

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Bytes reserved now.
    var reserved: Int { used.withLock { $0 } }

    /// Reserves `bytes` or throws ``ServerError/overloaded(retryAfterSeconds:)``.
    func reserve(_ bytes: Int) throws {
        try used.withLock { used in
            guard bytes <= capacity - used else { throw ServerError.overloaded(retryAfterSeconds: 1) }
            used += bytes
        }
    }

    /// Gives back bytes reserved by ``reserve(_:)``.
    func release(_ bytes: Int) {
        used.withLock { $0 = max(0, $0 - bytes) }
    }
}
