/// Queue and inference time of one request, filled by its handler and written as response
/// headers (`X-Queue-Time-Ms`, `X-Inference-Time-Ms`, `Server-Timing`) by the middleware.
final class RequestTimings: Sendable {
    private struct State {
        var queueSeconds = 0.0
        var inferenceSeconds = 0.0
        var largestBatch = 0
    }

    private let state = Locked(State())

    /// Adds one item's timings: the request's queue and inference times are the longest of its items'.
    func record(_ timings: InferenceTimings) {
        state.withLock { state in
            state.queueSeconds = max(state.queueSeconds, timings.queueSeconds)
            state.inferenceSeconds = max(state.inferenceSeconds, timings.inferenceSeconds)
            state.largestBatch = max(state.largestBatch, timings.batchSize)
        }
    }

    /// (queue, inference) in seconds, and the largest batch one of the request's items ran in.
    var values: (queue: Double, inference: Double, batch: Int) {
        state.withLock { ($0.queueSeconds, $0.inferenceSeconds, $0.largestBatch) }
    }
}
