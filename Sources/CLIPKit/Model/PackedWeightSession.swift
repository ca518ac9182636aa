import Foundation

/// How a model load used the packed-weight cache (``PackedWeightCache``).
public struct PackedWeightLoad: Sendable, Equatable {
    /// The cache file of this model, precision and layout; nil when the load used no cache
    /// (turned off, or nothing to pack: fp32 on BLAS).
    public var path: String?
    /// Linear layers mapped from the cache file.
    public var layersFromCache: Int
    /// Linear layers packed during the load (all of them on a miss).
    public var layersPacked: Int
    /// Whether the load wrote the cache file.
    public var wroteFile: Bool
    /// Cache trouble, none of which failed the load: a damaged or mismatched file (rebuilt), a
    /// file that could not be written.
    public var problems: [String]

    /// A load without the cache.
    public static let none = PackedWeightLoad(path: nil, layersFromCache: 0, layersPacked: 0, wroteFile: false, problems: [])

    /// Whether every packed layer came from the cache.
    public var isHit: Bool { path != nil && layersFromCache > 0 && layersPacked == 0 }
}

/// One model load's use of the packed-weight cache: opened (and fully checked) when the load
/// starts, asked for each packed layer by ``WeightScope/packedWeights(_:shape:kind:output:input:outlierColumns:pack:)``,
/// and, when any layer had to be packed, written whole by ``finish()`` at the end of the load.
final class PackedWeightSession {
    let cache: PackedWeightCache
    let key: PackedWeightKey
    private let file: PackedWeightFile?
    private var problems: [String] = []
    /// Every packed layer of the load, in load order (what a rewrite stores).
    private var layers: [(name: String, weights: LinearWeights)] = []
    private var hits = 0
    private var misses = 0

    init(cache: PackedWeightCache, key: PackedWeightKey) {
        self.cache = cache
        self.key = key
        let url = cache.fileURL(for: key)
        var problems = [String]()
        var file: PackedWeightFile?
        if FileManager.default.fileExists(atPath: url.path) {
            do {
                let parsed = try PackedWeightFile(url: url)
                if parsed.key == key.digest, parsed.identity == key.identity {
                    file = parsed
                } else {
                    problems.append("\(url.path): made for another model or layout; rebuilt")
                }
            } catch {
                let reason = (error as? PackedWeightFile.Invalid)?.reason ?? error.localizedDescription
                problems.append("\(url.path): \(reason); rebuilt")
            }
        }
        self.file = file
        self.problems = problems
    }

    /// The session for loading `weights` as `family` in `precision`, or nil without a cache or
    /// when nothing is packed (fp32 on BLAS).
    static func open(_ cache: PackedWeightCache?, weights: URL, family: ModelFamily, precision: Precision,
                     fp32Packed: Bool) -> PackedWeightSession? {
        guard let cache, precision != .fp32 || fp32Packed else { return nil }
        let key = PackedWeightKey(weightsFile: weights, family: family, precision: precision, fp32Packed: fp32Packed,
                                  outlierColumnLimit: KernelVariants.outlierColumnLimit,
                                  int8WeightMax: Int(KernelVariants.int8WeightMax))
        return PackedWeightSession(cache: cache, key: key)
    }

    /// The cached weights of layer `name`, if the file holds them with exactly this kind,
    /// dimensions and outlier columns.
    func cached(_ name: String, kind: PackedWeightFile.Kind, output: Int, input: Int, outlierColumns: [Int32]) -> LinearWeights? {
        guard let file,
              let buffers = file.buffers(name, kind: kind, output: output, input: input, outlierCount: outlierColumns.count)
        else { return nil }
        switch kind {
        case .fp32:
            return FP32Weights(mapped: buffers[0], output: output, input: input, mapping: file.mapping).map { .packedFP32($0) }
        case .bf16:
            return BF16Weights(mapped: buffers, output: output, input: input, outlierColumns: outlierColumns,
                               mapping: file.mapping).map { .bf16($0) }
        case .int8:
            return Int8Weights(mapped: buffers, output: output, input: input, outlierColumns: outlierColumns,
                               mapping: file.mapping).map { .int8($0) }
        }
    }

    /// Notes a packed layer of the load, `fromCache` or packed now.
    func record(_ name: String, _ weights: LinearWeights, fromCache: Bool) {
        layers.append((name, weights))
        if fromCache { hits += 1 } else { misses += 1 }
    }

    /// Writes the file when any layer was packed now (a miss, or a file that differed), or marks
    /// it used; cache trouble is reported, never thrown.
    func finish() -> PackedWeightLoad {
        let url = cache.fileURL(for: key)
        var wrote = false
        if misses > 0 {
            if file != nil { problems.append("\(url.path): \(misses) layer(s) differed from the model; rebuilt") }
            do {
                try withLayers { try cache.store($0, key: key) }
                wrote = true
            } catch {
                problems.append("not cached: " + ((error as? LocalizedError)?.errorDescription ?? String(describing: error)))
            }
        } else if hits > 0 {
            cache.touch(key)
        }
        return PackedWeightLoad(path: url.path, layersFromCache: hits, layersPacked: misses, wroteFile: wrote, problems: problems)
    }

    /// Calls `body` with every recorded layer as the file writes it, the buffers valid inside
    /// `body` only.
    private func withLayers<R>(_ body: ([PackedWeightFile.Layer]) throws -> R) throws -> R {
        func visit(_ index: Int, _ done: [PackedWeightFile.Layer]) throws -> R {
            guard index < layers.count else { return try body(done) }
            let (name, weights) = layers[index]
            switch weights {
            case .fp32:
                return try visit(index + 1, done)
            case .packedFP32(let w):
                return try w.withBuffers { buffers in
                    try visit(index + 1, done + [.init(name: name, kind: .fp32, output: w.outputSize, input: w.inputSize,
                                                       outlierCount: 0, buffers: buffers)])
                }
            case .bf16(let w):
                return try w.withBuffers { buffers in
                    try visit(index + 1, done + [.init(name: name, kind: .bf16, output: w.outputSize, input: w.inputSize,
                                                       outlierCount: w.outliers.columns.count, buffers: buffers)])
                }
            case .int8(let w):
                return try w.withBuffers { buffers in
                    try visit(index + 1, done + [.init(name: name, kind: .int8, output: w.outputSize, input: w.inputSize,
                                                       outlierCount: w.outlierColumns.count, buffers: buffers)])
                }
            }
        }
        return try visit(0, [])
    }
}

extension WeightLoader {
    /// A loader for the safetensors file `url` whose packed layers go through `weightCache`
    /// (a session for `family` in `precision`; none without a cache or when nothing is packed).
    /// Every family's model is built through one.
    convenience init(weights url: URL, family: ModelFamily, precision: Precision, weightCache: PackedWeightCache?,
                     fp32Packed: Bool) throws {
        let file = try SafeTensorsFile(url: url)
        self.init(file: file, fp32Packed: fp32Packed,
                  packedWeights: PackedWeightSession.open(weightCache, weights: url, family: family,
                                                          precision: precision, fp32Packed: fp32Packed))
    }

    /// ``finish()``, then the packed-weight session's: the cache file written if any layer was
    /// packed now. What the load did with the cache.
    func finishLoad() throws -> PackedWeightLoad {
        try finish()
        return packedWeights?.finish() ?? .none
    }
}

extension WeightScope {
    /// The packed weights of tensor `name` (which must have `shape`): mapped from the load's
    /// packed-weight cache when it holds them for `kind`, `output` × `input` and
    /// `outlierColumns` (the tensor is still checked and counted as used, but not read),
    /// otherwise `pack()`'s, which are then recorded for the cache.
    func packedWeights(_ name: String, shape: [Int], kind: PackedWeightFile.Kind, output: Int, input: Int,
                       outlierColumns: [Int32] = [], pack: () throws -> LinearWeights) throws -> LinearWeights {
        let key = prefix.isEmpty ? name : "\(prefix).\(name)"
        guard let session = loader.packedWeights else { return try pack() }
        if let cached = session.cached(key, kind: kind, output: output, input: input, outlierColumns: outlierColumns) {
            _ = try storedTensor(name, shape: shape)
            session.record(key, cached, fromCache: true)
            return cached
        }
        let weights = try pack()
        session.record(key, weights, fromCache: false)
        return weights
    }
}
