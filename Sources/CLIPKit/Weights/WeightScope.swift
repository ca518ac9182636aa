/// Strict, scoped access to a checkpoint's tensors while a model is being built.
///
/// Modules take a scope and ask for their own keys (`scope.scoped("self_attn").weight("q_proj.weight", ...)`),
/// so key paths follow the module tree and each key string is written once, beside the
/// property it fills. The root records every key taken; ``WeightLoader/finish()`` then rejects
/// any tensor in the file that no module asked for.
struct WeightScope {
    let loader: WeightLoader
    let prefix: String

    /// The scope of a child module.
    func scoped(_ name: String) -> WeightScope {
        WeightScope(loader: loader, prefix: prefix.isEmpty ? name : "\(prefix).\(name)")
    }

    /// The tensor `name` under this scope, which must have exactly `shape`.
    func tensor(_ name: String, shape: [Int]) throws -> FloatStorage {
        try loader.take(prefix.isEmpty ? name : "\(prefix).\(name)", shape: shape)
    }

    /// The tensor `name` as stored (dtype and bytes, valid while the file is open), for layers
    /// that keep weights in a form of their own (bf16 kept as bf16). Same checks as ``tensor(_:shape:)``.
    func storedTensor(_ name: String, shape: [Int]) throws -> (dtype: DType, bytes: UnsafeRawBufferPointer) {
        try loader.takeStored(prefix.isEmpty ? name : "\(prefix).\(name)", shape: shape)
    }

    /// Lets the mapped pages of tensor `name` go once a layer holds its own copy (packed int8
    /// or bf16); see ``SafeTensorsFile/releasePages(of:)``.
    func releaseStoredPages(_ name: String) {
        loader.file.releasePages(of: prefix.isEmpty ? name : "\(prefix).\(name)")
    }
}

/// Owns the file while a model is built and tracks which tensors were used.
final class WeightLoader {
    let file: SafeTensorsFile
    /// Whether fp32 linear layers pack their weights for clipkit's kernels (else BLAS reads
    /// them in place): ``KernelVariants/fp32Packed`` unless a test says otherwise.
    let fp32Packed: Bool
    /// The load's packed-weight cache, or nil to pack every layer in memory.
    let packedWeights: PackedWeightSession?
    private(set) var taken: Set<String> = []
    /// Keys that checkpoints may carry but that hold no parameters: older transformers saved
    /// the `position_ids` buffers (0..<n). They are accepted and ignored.
    static let ignorableSuffixes = [".embeddings.position_ids"]

    init(file: SafeTensorsFile, fp32Packed: Bool = KernelVariants.fp32Packed, packedWeights: PackedWeightSession? = nil) {
        self.file = file
        self.fp32Packed = fp32Packed
        self.packedWeights = packedWeights
    }

    var root: WeightScope { WeightScope(loader: self, prefix: "") }

    func take(_ key: String, shape: [Int]) throws -> FloatStorage {
        _ = try takeStored(key, shape: shape)
        return try file.floats(of: key)
    }

    func takeStored(_ key: String, shape: [Int]) throws -> (dtype: DType, bytes: UnsafeRawBufferPointer) {
        guard let entry = file.entries[key] else {
            throw ModelError.missingWeight(path: file.path, key: key)
        }
        guard entry.shape == shape else {
            throw ModelError.shapeMismatch(path: file.path, key: key, expected: shape, actual: entry.shape)
        }
        taken.insert(key)
        return (entry.dtype, try file.bytes(of: key))
    }

    /// Fails when the file holds tensors nobody asked for.
    func finish() throws {
        let unexpected = file.entries.keys
            .filter { !taken.contains($0) && !Self.ignorableSuffixes.contains(where: $0.hasSuffix) }
            .sorted()
        if !unexpected.isEmpty {
            throw ModelError.unexpectedWeights(path: file.path, keys: unexpected)
        }
    }
}
