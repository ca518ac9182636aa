import CLIPKit
import Dispatch
import Foundation

/// What every handle holds: a pipeline over the shared model (with this handle's
/// preprocessing) and the batch settings. Immutable, so one engine serves concurrent calls.
final class Engine: Sendable {
    let pipeline: CLIPPipeline
    let batchSize: Int
    let decoding: ImageDecodingOptions
    /// Images decoded at the same time while a batch is prepared.
    let decodingConcurrency: Int

    /// Resolves and loads `reference` (through the shared registry) with `options`.
    init(reference: String, options: EngineOptions) throws {
        if options.threads > 0 { CLIPKitRuntime.setThreadCount(options.threads) }
        let folder = try ModelRegistry.resolve(reference)
        let entry = try ModelRegistry.shared.entry(folder: folder, precision: options.precision)
        let config = try options.preprocessorConfig(over: entry.preprocessor)
        do {
            pipeline = try CLIPPipeline(model: entry.model, tokenizer: entry.tokenizer,
                                        preprocessor: ImagePreprocessor(config: config))
        } catch {
            throw ABIError.invalidArgument((error as? LocalizedError)?.errorDescription ?? "\(error)")
        }
        batchSize = options.batchSize
        decoding = ImageDecodingOptions(appliesEXIFOrientation: !options.ignoresEXIF)
        decodingConcurrency = max(1, options.threads > 0 ? options.threads : ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Runs every image of `source` through the vision tower, `batchSize` at a time.
    /// `deliver(embeddings, indices)` receives each batch's normalised embeddings
    /// [indices.count, embeddingSize] and the source indices of its rows; `fail(index, error)`
    /// is called for each item that could not be decoded or run. Every item gets exactly one of
    /// the two, so a bad item can never shift another's result.
    /// `decoded(index, height, width)` reports each decoded image's size before its result.
    func embedImages(
        _ source: BatchSource, deliver: (Tensor, [Int]) -> Void, decoded: (Int, _ height: Int, _ width: Int) -> Void,
        fail: (Int, ABIError) -> Void
    ) {
        let shape = pipeline.preprocessor.outputShape
        let expected = [shape.channels, shape.height, shape.width]
        let slot = shape.channels * shape.height * shape.width
        var start = 0
        while start < source.count {
            let n = min(batchSize, source.count - start)
            var scalars = [Float](repeating: 0, count: n * slot)
            let errors = ErrorSlots(count: n)
            let first = start
            let pipeline = pipeline
            let decoding = decoding
            scalars.withUnsafeMutableBufferPointer { buffer in
                // Each item writes only its own slot of `buffer` and of `errors`.
                nonisolated(unsafe) let base = buffer.baseAddress
                let work: @Sendable (Int) -> Void = { i in
                    do {
                        let image = try source.image(at: first + i, decoding: decoding)
                        let actual = pipeline.preprocessor.outputShape(for: image)
                        guard [actual.channels, actual.height, actual.width] == expected, let base else {
                            throw ABIError.image("item \(first + i): preprocessing gives shape \([actual.channels, actual.height, actual.width]) but the model reads \(expected) (keep do_center_crop on)")
                        }
                        pipeline.preprocessor.preprocess(image, into: UnsafeMutableBufferPointer(start: base + i * slot, count: slot))
                        errors.setSize(i, height: image.height, width: image.width)
                    } catch {
                        errors.set(i, ABIError(error))
                    }
                }
                let workers = min(decodingConcurrency, n)
                if workers > 1 {
                    DispatchQueue.concurrentPerform(iterations: workers) { w in
                        var i = w
                        while i < n {
                            work(i)
                            i += workers
                        }
                    }
                } else {
                    for i in 0..<n { work(i) }
                }
            }
            // Move the good items' pixels together, in order.
            var indices = [Int]()
            for i in 0..<n {
                if let error = errors.get(i) {
                    fail(first + i, error)
                    continue
                }
                let size = errors.size(i)
                decoded(first + i, size.height, size.width)
                if indices.count != i {
                    let to = indices.count * slot
                    scalars.withUnsafeMutableBufferPointer { b in
                        guard let p = b.baseAddress else { return }
                        (p + to).update(from: p + i * slot, count: slot)
                    }
                }
                indices.append(first + i)
            }
            if !indices.isEmpty {
                scalars.removeLast((n - indices.count) * slot)
                do {
                    guard let pixels = Tensor(shape: [indices.count] + expected, scalars: scalars) else {
                        throw ABIError.inference("internal: batch tensor of the wrong size")
                    }
                    deliver(try pipeline.imageEmbeddings(pixels: pixels), indices)
                } catch {
                    for i in indices { fail(i, ABIError(error)) }
                }
            }
            start += n
        }
    }
}

/// One optional error and the decoded size per item of a batch, written concurrently (each
/// item its own slot). `@unchecked Sendable`: the lock guards the arrays.
private final class ErrorSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [ABIError?]
    private var sizes: [(height: Int, width: Int)]

    init(count: Int) {
        slots = Array(repeating: nil, count: count)
        sizes = Array(repeating: (-1, -1), count: count)
    }

    func setSize(_ i: Int, height: Int, width: Int) {
        lock.lock()
        sizes[i] = (height, width)
        lock.unlock()
    }

    func size(_ i: Int) -> (height: Int, width: Int) {
        lock.lock()
        defer { lock.unlock() }
        return sizes[i]
    }

    func set(_ i: Int, _ error: ABIError) {
        lock.lock()
        slots[i] = error
        lock.unlock()
    }

    func get(_ i: Int) -> ABIError? {
        lock.lock()
        defer { lock.unlock() }
        return slots[i]
    }
}
