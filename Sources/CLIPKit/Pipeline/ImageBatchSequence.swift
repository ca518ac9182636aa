import Foundation

/// Results of running many images through a pipeline, delivered in input order as each batch
/// finishes.
///
/// The run is pulled by the consumer: iterating asks for the next batch, and while that batch
/// runs through the vision tower the batch after it is decoded and preprocessed (with up to
/// ``BatchOptions/decodingConcurrency`` images at once; at idle priority when the model uses
/// every core, see ``DecodingOverlap``). So at most two batches of pixels are in
/// memory however many inputs there are, and a consumer that stops iterating stops the work.
/// An input that cannot be read fails alone; the others carry on. Cancelling the iterating task
/// ends the sequence.
public struct ImageBatchSequence<Value: Sendable>: AsyncSequence, Sendable {
    public typealias Element = BatchItem<Value>
    public typealias Failure = Never

    let inputs: [ImageInput]
    let pipeline: CLIPPipeline
    let options: BatchOptions
    /// Turns the normalised embeddings of a batch's readable images [rows, embeddingSize] into
    /// one value per row.
    let transform: @Sendable (Tensor) throws -> [Value]

    init(inputs: [ImageInput], pipeline: CLIPPipeline, options: BatchOptions,
         transform: @escaping @Sendable (Tensor) throws -> [Value]) {
        self.inputs = inputs
        self.pipeline = pipeline
        self.options = options
        self.transform = transform
    }

    /// Number of inputs (and of results the sequence delivers).
    public var count: Int { inputs.count }

    public func makeAsyncIterator() -> Iterator { Iterator(sequence: self) }

    /// Iterates the results; see ``ImageBatchSequence``.
    public struct Iterator: AsyncIteratorProtocol {
        let sequence: ImageBatchSequence
        var nextStart = 0
        var pending: Task<PreparedBatch, Never>?
        var ready: [BatchItem<Value>] = []
        var readyIndex = 0
        var completed = 0
        var failed = 0
        let clock = ContinuousClock()
        var startedAt: ContinuousClock.Instant?

        init(sequence: ImageBatchSequence) {
            self.sequence = sequence
        }

        public mutating func next() async -> BatchItem<Value>? {
            if readyIndex < ready.count {
                defer { readyIndex += 1 }
                return ready[readyIndex]
            }
            if Task.isCancelled {
                pending?.cancel()
                pending = nil
                return nil
            }
            let sequence = self.sequence
            if startedAt == nil {
                startedAt = clock.now
                pending = nextRange().map { range in Task { await sequence.prepare(range) } }
            }
            guard let current = pending else { return nil }
            let batch = await current.value
            pending = nil
            // The following batch is decoded while this one runs: on ordinary tasks when the
            // model leaves cores free, on idle-priority threads when it takes them all (then
            // finished at normal priority once this batch is done).
            let overlap = sequence.overlap
            let following = nextRange()
            var prefetch: IdlePrefetch?
            if let following {
                switch overlap {
                case .normalPriority: pending = Task { await sequence.prepare(following) }
                case .idlePriority: prefetch = sequence.startPrefetch(following)
                case .none: break
                }
            }
            let outcomes = await Task { sequence.run(batch) }.value
            if let following, overlap != .normalPriority {
                let prefetched = prefetch?.finish() ?? [:]
                pending = Task { await sequence.prepare(following, prefetched: prefetched) }
            }
            ready = outcomes
            readyIndex = 1
            completed += outcomes.count
            failed += outcomes.count(where: { $0.error != nil })
            if let progress = sequence.options.progress, let startedAt {
                progress(BatchProgress(completed: completed, failed: failed, total: sequence.count,
                                       elapsed: clock.now - startedAt))
            }
            return outcomes.first
        }

        /// The inputs of the next batch, or nil after the last one.
        private mutating func nextRange() -> Range<Int>? {
            guard nextStart < sequence.inputs.count else { return nil }
            let start = nextStart
            let end = Swift.min(sequence.inputs.count, start + Swift.max(1, sequence.options.batchSize))
            nextStart = end
            return start..<end
        }
    }

    /// A batch decoded and preprocessed: the pixels of its readable images packed in order, and
    /// the reason for each input that could not be read.
    struct PreparedBatch: Sendable {
        let range: Range<Int>
        /// [readable.count, channels, height, width]
        let pixels: Tensor
        /// Input indices of the images in `pixels`, ascending.
        let readable: [Int]
        let failures: [Int: any Error]
    }

    /// How the next batch is decoded while the model runs the current one (tests may force one
    /// through ``BatchOptions/overlap``).
    var overlap: DecodingOverlap {
        if let forced = options.overlap { return forced }
        if Parallel.workerCount < Parallel.coreCount { return .normalPriority }
        return IdlePrefetch.isSupported ? .idlePriority : .none
    }

    /// Starts decoding the synchronous inputs of `range` on idle-priority threads.
    func startPrefetch(_ range: Range<Int>) -> IdlePrefetch? {
        let shape = pipeline.preprocessor.outputShape
        let decoding = options.decoding
        let indices = range.filter { if case .loader = inputs[$0] { false } else { true } }
        return IdlePrefetch(indices: indices, threads: options.decodingConcurrency) { index in
            let input = inputs[index]
            do {
                guard let image = try input.decodedNow(options: decoding) else { return nil }
                return .success(try preprocessedPixels(of: input, decoded: image, shape: shape))
            } catch {
                return .failure(error)
            }
        }
    }

    /// The preprocessed pixels of a decoded input, checked against the batch's shape.
    func preprocessedPixels(of input: ImageInput, decoded image: DecodedImage,
                shape: (channels: Int, height: Int, width: Int)) throws -> [Float] {
        let preprocessor = pipeline.preprocessor
        let actual = preprocessor.outputShape(for: image)
        guard actual == shape else {
            throw PipelineError.unexpectedImageShape(
                name: input.name, expected: [shape.channels, shape.height, shape.width],
                actual: [actual.channels, actual.height, actual.width])
        }
        var pixels = [Float](repeating: 0, count: shape.channels * shape.height * shape.width)
        pixels.withUnsafeMutableBufferPointer { _ = preprocessor.preprocess(image, into: $0) }
        return pixels
    }

    /// Decodes and preprocesses the inputs of `range` (with up to
    /// ``BatchOptions/decodingConcurrency`` at once), except those `prefetched` already holds.
    func prepare(_ range: Range<Int>, prefetched: [Int: IdlePrefetch.Outcome] = [:]) async -> PreparedBatch {
        let decoding = options.decoding
        let shape = pipeline.preprocessor.outputShape
        let imageSize = shape.channels * shape.height * shape.width
        var images = [Int: [Float]]()
        var failures = [Int: any Error]()
        func record(_ index: Int, _ outcome: IdlePrefetch.Outcome) {
            switch outcome {
            case .success(let pixels): images[index] = pixels
            case .failure(let error): failures[index] = error
            }
        }
        for (index, outcome) in prefetched where range.contains(index) { record(index, outcome) }
        await withTaskGroup(of: (Int, IdlePrefetch.Outcome).self) { group in
            var offsets = range.filter { prefetched[$0] == nil }.makeIterator()
            func addNext() -> Bool {
                guard let index = offsets.next() else { return false }
                let input = inputs[index]
                group.addTask {
                    if Task.isCancelled { return (index, .failure(CancellationError())) }
                    do {
                        let image = try await input.decoded(options: decoding)
                        return (index, .success(try preprocessedPixels(of: input, decoded: image, shape: shape)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
                return true
            }
            for _ in 0..<Swift.max(1, options.decodingConcurrency) where !addNext() { break }
            while let (index, outcome) = await group.next() {
                record(index, outcome)
                _ = addNext()
            }
        }
        let readable = range.filter { images[$0] != nil }
        var scalars = [Float]()
        scalars.reserveCapacity(readable.count * imageSize)
        for index in readable { scalars += images[index] ?? [] }
        let pixels = Tensor(shape: [readable.count, shape.channels, shape.height, shape.width], scalars: scalars)
            ?? Tensor(zeros: [0, shape.channels, shape.height, shape.width])
        return PreparedBatch(range: range, pixels: pixels, readable: readable, failures: failures)
    }

    func run(_ batch: PreparedBatch) -> [BatchItem<Value>] {
        var values = [Int: Result<Value, any Error>]()
        if !batch.readable.isEmpty {
            do {
                let embeddings = try pipeline.imageEmbeddings(pixels: batch.pixels)
                let outputs = try transform(embeddings)
                for (index, value) in zip(batch.readable, outputs) { values[index] = .success(value) }
            } catch {
                for index in batch.readable { values[index] = .failure(error) }
            }
        }
        return batch.range.map { index in
            let result = values[index] ?? .failure(batch.failures[index] ?? CancellationError())
            return BatchItem(index: index, input: inputs[index], result: result)
        }
    }
}

/// How a batch run decodes the next batch while the model runs the current one.
enum DecodingOverlap: Sendable {
    /// On ordinary tasks: the model leaves cores free.
    case normalPriority
    /// On ``IdlePrefetch``'s idle-priority threads, then finished at normal priority: the
    /// model's workers take every core. At normal priority a decoder beside them would stall
    /// every split product at its join (one worker waits while the other is preempted), which
    /// cost more than the decoding itself (int8 end to end on 2 cores: see docs/performance.md).
    case idlePriority
    /// Not at all: between batches, on every core (no idle scheduling class).
    case none
}
