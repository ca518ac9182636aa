import CLIPKit
import Foundation

/// Feeds lazily enumerated inputs to a batch run a chunk at a time, so memory stays flat however
/// many files there are, and stops cleanly between batches when ``StopSignals`` asks.
///
/// Chunks are whole numbers of batches, so batch boundaries (and results) are those of a single
/// run over every input. Inputs in `skipping` (by path: `--resume`) are left out.
struct ChunkedRun {
    /// How a run ended.
    enum Outcome: Equatable {
        /// Every input was handled.
        case finished
        /// The handler asked to stop (`--strict`).
        case stopped
        /// A signal asked to stop; the batch in flight was finished first.
        case interrupted(signal: Int32)
    }

    let inputs: InputEnumerator
    var skipping: Set<String> = []
    let options: BatchOptions
    let stop: StopSignals?
    /// Batches per chunk.
    var batchesPerChunk = 16

    /// Runs every input through `sequence`, calling `handle` with each result in input order;
    /// `handle` returns `false` to stop the run. The progress callback of `options` sees totals
    /// over the whole run (counted in a first, cheap pass when it is set).
    func run<Value: Sendable>(
        _ sequence: ([ImageInput], BatchOptions) -> ImageBatchSequence<Value>,
        handle: (InputFile, Result<Value, any Error>) throws -> Bool
    ) async throws -> Outcome {
        let batchSize = max(1, options.batchSize)
        let chunkSize = batchSize * max(1, batchesPerChunk)
        let total: Int? = options.progress == nil ? nil : inputs.lazy.filter { !skipping.contains($0.path) }.count
        var done = 0
        var failedBefore = 0
        var chunk: [InputFile] = []
        chunk.reserveCapacity(chunkSize)
        let start = ContinuousClock.now
        var iterator = inputs.lazy.filter { !skipping.contains($0.path) }.makeIterator()
        while true {
            chunk.removeAll(keepingCapacity: true)
            while chunk.count < chunkSize, let file = iterator.next() { chunk.append(file) }
            if chunk.isEmpty { return .finished }
            var chunkOptions = options
            if let progress = options.progress {
                let (offset, failedOffset, count) = (done, failedBefore, chunk.count)
                chunkOptions.progress = { p in
                    progress(BatchProgress(completed: offset + p.completed, failed: failedOffset + p.failed,
                                           total: total ?? offset + count, elapsed: ContinuousClock.now - start))
                }
            }
            let files = chunk
            for await item in sequence(files.map { $0.imageInput(options: options.decoding) }, chunkOptions) {
                if case .failure = item.result { failedBefore += 1 }
                done += 1
                guard try handle(files[item.index], item.result) else { return .stopped }
                let endsBatch = (item.index + 1) % batchSize == 0 || item.index + 1 == files.count
                if endsBatch, let signal = stop?.stopSignal { return .interrupted(signal: signal) }
            }
        }
    }
}
