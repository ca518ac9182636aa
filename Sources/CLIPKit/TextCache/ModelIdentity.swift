import Foundation

/// What identifies a model's text embeddings in the ``TextEmbeddingCache``: the content of its
/// weights file, plus a variant for anything else that changes the numbers (a reduced precision,
/// say).
///
/// The content id is the Hub's etag (the sha256 of the file) when the weights sit in a Hugging
/// Face cache as `blobs/<sha256>` (a snapshot's symlink is followed); otherwise the resolved path,
/// size and modification time of the file, so an edited or replaced file gets a new identity.
public struct ModelIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The content id: `etag:<hex>` (the blob name: sha256 of an LFS file, git sha1 otherwise) or `file:<path>:<size>:<mtime in µs>`.
    public let contentID: String
    /// Empty for the model as loaded; callers that change the numbers (e.g. a reduced-precision
    /// text tower) put a distinct string here.
    public let variant: String

    /// Identifies `contentID` directly (for tests, or weights that come from elsewhere).
    public init(contentID: String, variant: String = "") {
        self.contentID = contentID
        self.variant = variant
    }

    /// Identifies a weights file (see the type's description). A file that cannot be inspected
    /// is identified by its path alone.
    public init(weightsFile url: URL, variant: String = "") {
        let resolved = url.resolvingSymlinksInPath()
        let name = resolved.lastPathComponent
        if resolved.deletingLastPathComponent().lastPathComponent == "blobs", Self.isHexDigest(name) {
            contentID = "etag:" + name.lowercased()
        } else {
            let attributes = try? FileManager.default.attributesOfItem(atPath: resolved.path)
            if let size = (attributes?[.size] as? NSNumber)?.int64Value,
               let modified = attributes?[.modificationDate] as? Date {
                let microseconds = Int64((modified.timeIntervalSince1970 * 1e6).rounded())
                contentID = "file:\(resolved.path):\(size):\(microseconds)"
            } else {
                contentID = "file:\(resolved.path)"
            }
        }
        self.variant = variant
    }

    /// Identifies the weights `model` was loaded from, its family and the arithmetic it runs: a
    /// family other than CLIP (`family siglip`: other towers, tokenizer and padding) and a
    /// reduced precision (and its kernel, whose rounding differs) join the variant, so vectors of
    /// different families, or fp32, bf16 and int8 vectors of one checkpoint, never mix. CLIP
    /// names no family, so caches written before families existed stay valid.
    public init(model: any ZeroShotModel, variant: String = "") {
        let family = model.family == .clip ? [] : ["family \(model.family.rawValue)"]
        let arithmetic = model.precision == .fp32 ? [] : [model.precision.kernelDescription]
        let parts = family + arithmetic + (variant.isEmpty ? [] : [variant])
        self.init(weightsFile: model.weightsURL, variant: parts.joined(separator: "; "))
    }

    /// A 32-character hex digest of the content id and variant, used as the cache file's name.
    public var key: String {
        var digest = SHA256()
        digest.update(Array("\(contentID)\n\(variant)".utf8))
        return String(digest.finalizeHex().prefix(32))
    }

    public var description: String { variant.isEmpty ? contentID : "\(contentID) [\(variant)]" }

    /// 40 (git sha1 etag) or 64 (sha256) hexadecimal digits.
    private static func isHexDigest(_ name: String) -> Bool {
        (name.count == 64 || name.count == 40) && name.allSatisfy(\.isHexDigit)
    }
}
