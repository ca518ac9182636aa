/// Runs `operation`, cancelling it and throwing ``ServerError/deadlineExceeded`` if it has not
/// finished by `deadline`. Cancellation removes the request's items from the inference queue.
func withDeadline<T: Sendable>(_ deadline: ContinuousClock.Instant,
                               _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    guard deadline > .now else { throw ServerError.deadlineExceeded }
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try? await Task.sleep(until: deadline, clock: .continuous)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw ServerError.deadlineExceeded
        }
        return value
    }
}
