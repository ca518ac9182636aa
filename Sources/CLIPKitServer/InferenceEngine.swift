import CLIPKit
import Foundation

/// The one place the model runs: a dedicated thread that takes preprocessed images from many
/// requests and runs them through the vision tower together (dynamic batching), and runs text
/// jobs (label and text embeddings) in between.
///
/// A batch starts when `maxBatch` images are queued or the oldest queued image has waited
/// `maxWait`. Items whose deadline passed, or whose task was cancelled, are dropped before the
/// model call. Admission (``admit(_:)``) bounds the items in flight, so memory stays bounded.
///
/// `@unchecked Sendable`: all mutable state is guarded by `condition`.
final class InferenceEngine: @unchecked Sendable {
    /// A queued piece of work: its id (to take it back out) and the continuation its caller waits on.
    private protocol PendingItem: Sendable {
        associatedtype Value
        var id: UInt64 { get }
        var continuation: CheckedContinuation<Value, any Error> { get }
    }

    private struct PendingImage: PendingItem {
        let id: UInt64
        let pixels: [Float]
        let deadline: ContinuousClock.Instant
        let connection: ClientConnection
        let enqueued: ContinuousClock.Instant
        let continuation: CheckedContinuation<([Float], InferenceTimings), any Error>
    }

    private struct PendingText: PendingItem {
        let id: UInt64
        let texts: [TokenizedText]
        let deadline: ContinuousClock.Instant
        let enqueued: ContinuousClock.Instant
        let continuation: CheckedContinuation<(Tensor, InferenceTimings), any Error>
    }

    private let condition = NSCondition()
    private var state: ModelState = .loading
    private var images: [PendingImage] = []
    private var texts: [PendingText] = []
    private var admitted = 0
    private var nextID: UInt64 = 0
    private var stopping = false
    private var workerStarted = false
    private var workerFinished = false

    private let maxBatch: Int
    private let maxWait: Duration
    private let maxQueue: Int
    private let metrics: ServerMetrics
    private let clock = ContinuousClock()

    init(configuration: ServerConfiguration, metrics: ServerMetrics) {
        maxBatch = configuration.maxBatch
        maxWait = configuration.maxWait
        maxQueue = configuration.maxQueue
        self.metrics = metrics
    }

    // MARK: Model state

    /// The current model state.
    var modelState: ModelState {
        condition.lock()
        defer { condition.unlock() }
        return state
    }

    /// The loaded pipeline, or the error a model route answers with.
    func pipeline() throws -> CLIPPipeline {
        switch modelState {
        case .ready(let pipeline): return pipeline
        case .loading: throw ServerError.modelLoading
        case .failed(let reason): throw ServerError.modelUnavailable(reason)
        }
    }

    /// Installs the loaded model and starts the inference thread.
    func setReady(_ pipeline: CLIPPipeline) {
        condition.lock()
        state = .ready(pipeline)
        let start = !workerStarted
        workerStarted = true
        condition.unlock()
        if start {
            let thread = Thread { [self] in workerLoop(pipeline) }
            thread.name = "clipkit-inference"
            thread.start()
        }
    }

    /// Records that loading failed.
    func setFailed(_ reason: String) {
        condition.lock()
        state = .failed(reason)
        condition.unlock()
    }

    /// Lets queued work finish, then stops the inference thread. New work is refused.
    func shutdown() async {
        guard beginShutdown() else { return }
        while !isWorkerFinished {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Marks the engine as stopping; returns whether the inference thread was started.
    private func beginShutdown() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        condition.broadcast()
        return workerStarted
    }

    private var isWorkerFinished: Bool {
        condition.lock()
        defer { condition.unlock() }
        return workerFinished
    }

    // MARK: Admission

    /// Items admitted and not yet released.
    var admittedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return admitted
    }

    /// Images waiting for a model call.
    var queuedImageCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return images.count
    }

    /// Reserves room for `count` images or texts; throws ``ServerError/overloaded(retryAfterSeconds:)``
    /// when the queue limit would be passed. Every successful call must be matched by ``release(_:)``.
    func admit(_ count: Int) throws {
        condition.lock()
        defer { condition.unlock() }
        if stopping { throw ServerError.shuttingDown }
        guard count <= maxQueue - admitted else {
            throw ServerError.overloaded(retryAfterSeconds: 1)
        }
        admitted += count
    }

    /// Gives back room reserved by ``admit(_:)``.
    func release(_ count: Int) {
        condition.lock()
        admitted = max(0, admitted - count)
        condition.unlock()
    }

    // MARK: Work

    /// The L2-normalised embedding of one preprocessed image [channels·size·size], computed in a
    /// batch with other requests' images.
    func embedImage(pixels: [Float], deadline: ContinuousClock.Instant,
                    connection: ClientConnection = .detached) async throws -> ([Float], InferenceTimings) {
        try await enqueue(on: \.images) { id, continuation in
            PendingImage(id: id, pixels: pixels, deadline: deadline, connection: connection,
                         enqueued: clock.now, continuation: continuation)
        }
    }

    /// L2-normalised embeddings of tokenized texts [texts.count, embeddingSize], computed on the
    /// inference thread between image batches.
    func embedTexts(_ tokenized: [TokenizedText], deadline: ContinuousClock.Instant) async throws -> (Tensor, InferenceTimings) {
        try await enqueue(on: \.texts) { id, continuation in
            PendingText(id: id, texts: tokenized, deadline: deadline, enqueued: clock.now,
                        continuation: continuation)
        }
    }

    /// Appends the item `make` builds to `queue` (under the lock, waking the inference thread)
    /// and waits for its result. A caller cancelled before or while queued gets
    /// `CancellationError` and its item is taken back out.
    private func enqueue<Item: PendingItem>(
        on queue: ReferenceWritableKeyPath<InferenceEngine, [Item]> & Sendable,
        make: (UInt64, CheckedContinuation<Item.Value, any Error>) -> Item
    ) async throws -> Item.Value {
        let id = makeID()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                condition.lock()
                defer { condition.unlock() }
                if Task.isCancelled { return continuation.resume(throwing: CancellationError()) }
                if stopping && !workerStarted { return continuation.resume(throwing: ServerError.shuttingDown) }
                self[keyPath: queue].append(make(id, continuation))
                condition.broadcast()
            }
        } onCancel: {
            condition.lock()
            let index = self[keyPath: queue].firstIndex { $0.id == id }
            let removed = index.map { self[keyPath: queue].remove(at: $0) }
            condition.unlock()
            removed?.continuation.resume(throwing: CancellationError())
        }
    }

    private func makeID() -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        nextID &+= 1
        return nextID
    }

    // MARK: The inference thread

    private enum Job {
        case images([PendingImage])
        case text(PendingText)
        case stop
    }

    private func workerLoop(_ pipeline: CLIPPipeline) {
        while true {
            switch nextJob() {
            case .stop:
                condition.lock()
                workerFinished = true
                condition.unlock()
                return
            case .text(let job):
                runText(job, pipeline: pipeline)
            case .images(let batch):
                runImages(batch, pipeline: pipeline)
            }
        }
    }

    /// Waits for work; drops expired items; returns a text job or a batch of images.
    private func nextJob() -> Job {
        condition.lock()
        defer { condition.unlock() }
        while true {
            dropExpired()
            if !texts.isEmpty { return .text(texts.removeFirst()) }
            if let oldest = images.first {
                let fillDeadline = oldest.enqueued + maxWait
                if images.count >= maxBatch || stopping || clock.now >= fillDeadline {
                    let count = min(maxBatch, images.count)
                    let batch = Array(images.prefix(count))
                    images.removeFirst(count)
                    return .images(batch)
                }
                _ = condition.wait(until: Date(timeIntervalSinceNow: seconds(fillDeadline - clock.now)))
                continue
            }
            if stopping { return .stop }
            condition.wait()
        }
    }

    /// Resumes queued items whose deadline passed, or whose client disconnected, with
    /// ``ServerError/deadlineExceeded``. Called with the lock held; resuming does not block.
    private func dropExpired() {
        let now = clock.now
        let isDropped = { (item: PendingImage) in item.deadline <= now || item.connection.isGone }
        if images.contains(where: isDropped) {
            for item in images where isDropped(item) {
                item.continuation.resume(throwing: ServerError.deadlineExceeded)
                metrics.recordDropped(count: 1)
            }
            images.removeAll(where: isDropped)
        }
        if texts.contains(where: { $0.deadline <= now }) {
            for item in texts where item.deadline <= now {
                item.continuation.resume(throwing: ServerError.deadlineExceeded)
                metrics.recordDropped(count: 1)
            }
            texts.removeAll { $0.deadline <= now }
        }
    }

    private func runImages(_ batch: [PendingImage], pipeline: CLIPPipeline) {
        let shape = pipeline.preprocessor.outputShape
        let size = shape.channels * shape.height * shape.width
        let start = clock.now
        var scalars = [Float]()
        scalars.reserveCapacity(batch.count * size)
        for item in batch { scalars += item.pixels }
        let result: Result<Tensor, any Error> = Result {
            guard let pixels = Tensor(shape: [batch.count, shape.channels, shape.height, shape.width], scalars: scalars)
            else { throw ServerError.internalError("pixel buffer of the wrong size") }
            return try pipeline.imageEmbeddings(pixels: pixels)
        }
        let end = clock.now
        metrics.recordBatch(size: batch.count, seconds: seconds(end - start))
        switch result {
        case .success(let embeddings):
            let width = embeddings.shape.count == 2 ? embeddings.shape[1] : 0
            for (row, item) in batch.enumerated() {
                let timings = InferenceTimings(queueSeconds: seconds(start - item.enqueued),
                                               inferenceSeconds: seconds(end - start), batchSize: batch.count)
                let embedding = Array(embeddings.scalars[row * width..<(row + 1) * width])
                item.continuation.resume(returning: (embedding, timings))
            }
        case .failure(let error):
            for item in batch {
                item.continuation.resume(throwing: ServerError.internalError(error.localizedDescription))
            }
        }
    }

    private func runText(_ job: PendingText, pipeline: CLIPPipeline) {
        let start = clock.now
        let result = Result { try pipeline.textEmbeddings(tokenized: job.texts) }
        let end = clock.now
        let timings = InferenceTimings(queueSeconds: seconds(start - job.enqueued),
                                       inferenceSeconds: seconds(end - start), batchSize: job.texts.count)
        switch result {
        case .success(let embeddings): job.continuation.resume(returning: (embeddings, timings))
        case .failure(let error): job.continuation.resume(throwing: ServerError.internalError(error.localizedDescription))
        }
    }
}

/// A duration in seconds.
func seconds(_ duration: Duration) -> Double {
    let (s, attoseconds) = duration.components
    return Double(s) + Double(attoseconds) * 1e-18
}
