/// Bounds a quantity that requests hold at once across the server: request-body bytes, and label
/// prompts waiting for the text tower.
///
/// Admission (``InferenceEngine/admit(_:)``) counts images and texts only after a body is parsed,
/// so without the body budget many concurrent large bodies could together use unbounded memory: a
/// request reserves its `Content-Length` (or the body limit when it is not known) before reading.
/// Label sets that are not cached reserve their prompts (labels × templates) while the text tower
/// computes them, so a flood of large label lists is refused instead of queued. When a budget is
/// spent the request is answered 503 with `Retry-After`.
final class AdmissionBudget: Sendable {
    private let capacity: Int
    private let used = Locked(0)

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Units reserved now.
    var reserved: Int { used.withLock { $0 } }

    /// Reserves `units` or throws ``ServerError/overloaded(retryAfterSeconds:)``.
    func reserve(_ units: Int) throws {
        try used.withLock { used in
            guard units <= capacity - used else { throw ServerError.overloaded(retryAfterSeconds: 1) }
            used += units
        }
    }

    /// Gives back units reserved by ``reserve(_:)``.
    func release(_ units: Int) {
        used.withLock { $0 = max(0, $0 - units) }
    }
}
