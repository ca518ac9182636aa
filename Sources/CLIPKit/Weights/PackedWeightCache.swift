import Foundation

/// A disk cache of linear layers' packed weights (int8 quantized, bf16, or fp32 packed for
/// clipkit's kernels), so a reduced-precision model starts as fast as an fp32 one used in place:
/// the packing a load would do runs once per model, precision and packing layout, and later
/// loads map its result.
///
/// One file per key under `<directory>/packed/` (format: ``PackedWeightFile``). The key is
/// the weights file's content id (``ModelIdentity/init(weightsFile:variant:)``: Hub etag, or path
/// + size + modification time), the model family, the precision, and everything that changes
/// the packed bytes: the packing layout version, whether fp32 layers are packed
/// (`CLIPKIT_FP32_GEMM`), the outlier-column limit (`CLIPKIT_OUTLIER_COLUMNS`) and the int8
/// weight range of the kernel variant (`clipkit_int8_weight_max`). The kernel variant itself
/// is not part of it: every variant of a precision reads one packed layout
/// (CLIPKitReducedPrecision.h), and bf16's variant is chosen by a run-time measurement.
///
/// Guarantees:
/// - a file is written whole to a temporary file in the same folder, then renamed into place,
///   so a reader sees a complete file or none; concurrent writers each rename a complete file;
/// - every file is checked (magic, version, every offset and length, header and data checksums,
///   each layer's dimensions and outlier columns) before use; a damaged or mismatched one is
///   ignored and rebuilt;
/// - the files together stay under ``maxBytes``: the least recently used (modification time,
///   refreshed on every hit) are deleted after each write; the file just written is kept;
/// - cache trouble (an unwritable folder, a full disk) never fails a load: the weights are
///   packed in memory as without a cache.
///
/// Loaded weights are bit for bit what packing produces, so cached and uncached models agree
/// exactly.
public final class PackedWeightCache: Sendable {
    /// The cache folder (`$XDG_CACHE_HOME/clipkit`, default `~/.cache/clipkit`), shared with
    /// ``TextEmbeddingCache``.
    public let directory: URL
    /// The size bound for all packed-weight files together, in bytes.
    public let maxBytes: Int

    /// 2 GiB: a ViT-L/14's int8, bf16 and packed-fp32 files would not all fit; the int8 and
    /// bf16 files of a few base-sized models do.
    public static let defaultMaxBytes = 2 << 30

    /// A cache in `directory`, bounded to `maxBytes`.
    public init(directory: URL = TextEmbeddingCache.defaultDirectory(), maxBytes: Int = PackedWeightCache.defaultMaxBytes) {
        self.directory = directory
        self.maxBytes = max(0, maxBytes)
    }

    /// The cache model loads use unless told otherwise: the default folder, or nil (no cache)
    /// when `CLIPKIT_WEIGHT_CACHE` is `0`, `off`, `false` or `no`.
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> PackedWeightCache? {
        if let value = environment["CLIPKIT_WEIGHT_CACHE"]?.lowercased(), ["0", "off", "false", "no"].contains(value) {
            return nil
        }
        return PackedWeightCache(directory: TextEmbeddingCache.defaultDirectory(environment: environment))
    }

    /// Where the packed-weight files live.
    public var filesDirectory: URL { directory.appendingPathComponent("packed", isDirectory: true) }

    func fileURL(for key: PackedWeightKey) -> URL {
        filesDirectory.appendingPathComponent(key.digest + ".bin")
    }

    /// Writes `layers` as `key`'s file, atomically (temporary file + rename), then evicts least
    /// recently used files beyond ``maxBytes``. Throws ``PackedWeightCacheError``.
    func store(_ layers: [PackedWeightFile.Layer], key: PackedWeightKey) throws {
        let url = fileURL(for: key)
        let temporary = filesDirectory.appendingPathComponent(".\(key.digest).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
        do {
            try FileManager.default.createDirectory(at: filesDirectory, withIntermediateDirectories: true)
            try PackedWeightFile.write(to: temporary, key: key.digest, identity: key.identity, layers: layers)
            guard rename(temporary.path, url.path) == 0 else {
                throw PackedWeightCacheError.io(path: url.path, reason: String(cString: strerror(errno)))
            }
        } catch {
            _ = unlink(temporary.path)
            if let error = error as? PackedWeightCacheError { throw error }
            let reason = (error as? PackedWeightFile.Invalid)?.reason ?? error.localizedDescription
            throw PackedWeightCacheError.io(path: url.path, reason: reason)
        }
        evict(keeping: url)
    }

    /// Marks `key`'s file as just used (its modification time), for the LRU bound. Best effort.
    func touch(_ key: PackedWeightKey) {
        _ = utimes(fileURL(for: key).path, nil)
    }

    private struct StoredFile {
        let url: URL
        let bytes: Int
        let modified: Date
    }

    private func storedFiles(extension wanted: String = "bin") -> [StoredFile] {
        let keys: [URLResourceKey] = [.fileSizeKey, .contentModificationDateKey]
        let urls = (try? FileManager.default.contentsOfDirectory(at: filesDirectory, includingPropertiesForKeys: keys)) ?? []
        return urls.filter { $0.pathExtension == wanted && ($0.lastPathComponent.hasPrefix(".") == (wanted == "tmp")) }.map { url in
            let values = try? url.resourceValues(forKeys: Set(keys))
            return StoredFile(url: url, bytes: values?.fileSize ?? 0, modified: values?.contentModificationDate ?? .distantPast)
        }
    }

    /// Deletes other files, least recently used first, until everything fits; and temporary
    /// files a killed writer left behind (over an hour old).
    private func evict(keeping kept: URL) {
        let files = storedFiles()
        var total = files.first { $0.url.lastPathComponent == kept.lastPathComponent }?.bytes ?? 0
        for file in files.filter({ $0.url.lastPathComponent != kept.lastPathComponent }).sorted(by: { $0.modified > $1.modified }) {
            if total + file.bytes > maxBytes {
                try? FileManager.default.removeItem(at: file.url)
            } else {
                total += file.bytes
            }
        }
        for file in storedFiles(extension: "tmp") where file.modified < Date().addingTimeInterval(-3600) {
            try? FileManager.default.removeItem(at: file.url)
        }
    }

    /// What is stored: one summary per file, largest first. Headers are checked, data
    /// checksums are not (a load checks them).
    public func summary() -> [PackedWeightCacheFile] {
        storedFiles().map { file in
            do {
                let parsed = try PackedWeightFile(mapping: MappedFile(path: file.url.path), verifyData: false)
                return PackedWeightCacheFile(path: file.url.path, bytes: file.bytes, identity: parsed.identity,
                                             layers: parsed.entries.count, lastUsed: file.modified, problem: nil)
            } catch {
                let reason = (error as? PackedWeightFile.Invalid)?.reason ?? error.localizedDescription
                return PackedWeightCacheFile(path: file.url.path, bytes: file.bytes, identity: nil, layers: 0,
                                             lastUsed: file.modified, problem: reason)
            }
        }.sorted { $0.bytes > $1.bytes }
    }

    /// Deletes every packed-weight file (and stray temporary files); returns the bytes freed.
    /// Throws ``PackedWeightCacheError/io(path:reason:)`` naming a file it could not remove.
    @discardableResult
    public func clear() throws -> Int {
        var freed = 0
        for file in storedFiles() + storedFiles(extension: "tmp") {
            do {
                try FileManager.default.removeItem(at: file.url)
            } catch {
                throw PackedWeightCacheError.io(path: file.url.path, reason: error.localizedDescription)
            }
            freed += file.bytes
        }
        return freed
    }
}

/// One file of the packed-weight cache, as ``PackedWeightCache/summary()`` reports it.
public struct PackedWeightCacheFile: Sendable, Equatable {
    public let path: String
    public let bytes: Int
    /// What the file's key was made of (weights, family, precision, layout), one item a line;
    /// nil when the file is damaged.
    public let identity: String?
    /// Linear layers stored.
    public let layers: Int
    /// When a load last wrote or used the file.
    public let lastUsed: Date
    /// Why the file cannot be used (it is rebuilt on the next load), or nil.
    public let problem: String?
}

/// Why the packed-weight cache could not be written or cleared. Loads never throw it: they
/// report it in ``PackedWeightLoad/problems``.
public enum PackedWeightCacheError: LocalizedError, Equatable, Sendable {
    case io(path: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .io(let path, let reason): return "packed-weight cache \(path): \(reason)"
        }
    }
}

/// The key of one packed-weight file: a readable identity (stored in the file) and its digest
/// (the file's name).
struct PackedWeightKey: Sendable, Equatable {
    /// Bump when any packed layout (CLIPKitReducedPrecision.h: int8 16-row panels of 4-byte
    /// groups, scales, sums and outlier columns; bf16 16-row panels of pairs and outlier columns;
    /// fp32 32-column panels) or what a packed weight holds changes. 2: bf16 layers keep outlier
    /// columns in fp32.
    static let packingLayoutVersion = 2

    let identity: String
    let digest: String

    init(identity: String) {
        self.identity = identity
        var hash = SHA256()
        hash.update(Array(identity.utf8))
        digest = String(hash.finalizeHex().prefix(32))
    }

    /// The key of `weightsFile`'s linear layers for `family` in `precision`, fp32 layers packed
    /// or not, int8 and bf16 layers with at most `outlierColumnLimit` outlier columns.
    init(weightsFile: URL, family: ModelFamily, precision: Precision, fp32Packed: Bool, outlierColumnLimit: Int,
         int8WeightMax: Int) {
        let lines = [
            "weights \(ModelIdentity(weightsFile: weightsFile).contentID)",
            "family \(family.rawValue)",
            "precision \(precision.rawValue)",
            "packing layout \(Self.packingLayoutVersion), file format \(PackedWeightFile.version)",
            "fp32 layers \(fp32Packed ? "packed" : "on BLAS")",
            "outlier columns at most \(outlierColumnLimit)",
            "int8 weights within ±\(int8WeightMax)",
        ]
        self.init(identity: lines.joined(separator: "\n"))
    }
}
