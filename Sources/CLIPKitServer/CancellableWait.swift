/// Waits for `task`'s value, but returns early with `CancellationError` when the waiting task is
/// cancelled (`task.value` alone keeps waiting). `task` itself runs on: a shared computation, such
/// as a label set's embeddings, still finishes for the cache and for other waiters.
func cancellableValue<T: Sendable>(of task: Task<T, any Error>) async throws -> T {
    let waiter = Locked<(continuation: CheckedContinuation<T, any Error>?, cancelled: Bool)>((nil, false))
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let cancelled = waiter.withLock { state -> Bool in
                if state.cancelled { return true }
                state.continuation = continuation
                return false
            }
            if cancelled { return continuation.resume(throwing: CancellationError()) }
            Task {
                let result = await task.result
                let continuation = waiter.withLock { state -> CheckedContinuation<T, any Error>? in
                    defer { state.continuation = nil }
                    return state.continuation
                }
                continuation?.resume(with: result)
            }
        }
    } onCancel: {
        let continuation = waiter.withLock { state -> CheckedContinuation<T, any Error>? in
            state.cancelled = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(throwing: CancellationError())
    }
}
