import Dispatch

/// Runs async engine calls (model resolution through the Hub client) for synchronous C callers.
enum Blocking {
    /// Where the task leaves its result; written once by the task before it signals, read once
    /// by the waiting thread after the signal, so the semaphore orders every access.
    private final class Box<T>: @unchecked Sendable {
        var result: Result<T, any Error>?
    }

    /// Runs `body` on the concurrency pool and blocks the calling thread until it finishes.
    /// C callers' threads are never pool threads, so blocking one cannot starve the pool.
    static func run<T>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = Box<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                box.result = .success(try await body())
            } catch {
                box.result = .failure(error)
            }
            done.signal()
        }
        done.wait()
        guard let result = box.result else { throw ABIError.inference("internal: the task ended without a result") }
        return try result.get()
    }
}
