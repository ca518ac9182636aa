import Foundation

/// One model's cached text embeddings in their on-disk form: a header, the model identity, an
/// entry table, the prompts' UTF-8 bytes, then the float32 vectors, one row per entry, so a
/// mapped file can be read in place. All integers little-endian.
///
/// ```
/// 0   magic "CLIPKTXT"          8 bytes
/// 8   version                   u32 (1)
/// 12  width                     u32 floats per vector
/// 16  count                     u64 entries
/// 24  promptBytes               u64 length of the prompt area
/// 32  checksum                  u64 over every other byte of the file
/// 40  identityBytes             u32 length of the identity text
/// 44  reserved                  u32 (0)
/// 48  key                       32 ASCII bytes, the model identity's key (also the file name)
/// 80  reserved                  16 bytes (0)
/// 96  identity                  UTF-8, identityBytes long
///     entries (8-aligned)       count × {promptOffset u64, promptLength u32, flags u32, lastUsed i64}
///     prompts                   promptBytes of UTF-8
///     vectors (16-aligned)      count × width float32; the file ends here exactly
/// ```
/// `flags` bit 0: the prompt was truncated to the text context. `lastUsed`: Unix seconds.
struct TextEmbeddingFile {
    static let magic = Array("CLIPKTXT".utf8)
    static let version: UInt32 = 1
    static let headerSize = 96
    static let entrySize = 24
    /// Widths above this are not CLIP embeddings; a header claiming one is corrupt.
    static let maxWidth = 1 << 16

    struct Entry {
        var prompt: String
        var flags: UInt32
        var lastUsed: Int64
    }

    let identity: String
    let key: String
    let width: Int
    /// In file order; entry `i` owns vector row `i`.
    let entries: [Entry]
    /// The whole file (memory-mapped when read from disk).
    let data: Data
    let vectorsOffset: Int

    /// Why a file was rejected.
    struct Invalid: Error { let reason: String }

    /// Parses and checks a file: magic, version, every length and offset, and the checksum.
    init(data: Data) throws {
        self.data = data
        func fail(_ reason: String) -> Invalid { Invalid(reason: reason) }
        let (key, identity, width, entries, vectorsOffset): (String, String, Int, [Entry], Int) = try data.withUnsafeBytes { raw in
            guard raw.count >= Self.headerSize else { throw fail("shorter than its header") }
            guard Array(raw[0..<8]) == Self.magic else { throw fail("not a clipkit text-embedding file") }
            guard raw.le(UInt32.self, at: 8) == Self.version else { throw fail("unknown version") }
            let width = Int(raw.le(UInt32.self, at: 12))
            guard width > 0, width <= Self.maxWidth else { throw fail("invalid width") }
            let count64 = raw.le(UInt64.self, at: 16)
            let promptBytes64 = raw.le(UInt64.self, at: 24)
            let identityBytes = Int(raw.le(UInt32.self, at: 40))
            guard count64 <= UInt64(raw.count), promptBytes64 <= UInt64(raw.count) else { throw fail("length fields exceed the file") }
            let count = Int(count64), promptBytes = Int(promptBytes64)
            guard let layout = Self.layout(identityBytes: identityBytes, count: count, promptBytes: promptBytes, width: width),
                  layout.total == raw.count
            else { throw fail("length does not match the header") }
            guard Self.checksum(raw) == raw.le(UInt64.self, at: 32) else { throw fail("checksum mismatch") }
            let key = String(decoding: raw[48..<80], as: UTF8.self)
            let identity = String(decoding: raw[Self.headerSize..<(Self.headerSize + identityBytes)], as: UTF8.self)
            var entries = [Entry]()
            entries.reserveCapacity(count)
            for i in 0..<count {
                let at = layout.entries + i * Self.entrySize
                let offset = raw.le(UInt64.self, at: at)
                let length = UInt64(raw.le(UInt32.self, at: at + 8))
                guard offset <= UInt64(promptBytes), length <= UInt64(promptBytes) - offset else { throw fail("prompt \(i) out of bounds") }
                let start = layout.prompts + Int(offset)
                guard let prompt = String(validating: raw[start..<(start + Int(length))], as: UTF8.self) else { throw fail("prompt \(i) is not UTF-8") }
                entries.append(Entry(prompt: prompt, flags: raw.le(UInt32.self, at: at + 12), lastUsed: raw.le(Int64.self, at: at + 16)))
            }
            return (key, identity, width, entries, layout.vectors)
        }
        self.key = key
        self.identity = identity
        self.width = width
        self.entries = entries
        self.vectorsOffset = vectorsOffset
    }

    /// Copies vector row `row` to `destination` (`width` floats).
    func copyVector(row: Int, to destination: UnsafeMutablePointer<Float>) {
        data.withUnsafeBytes { raw in
            let start = vectorsOffset + row * width * 4
            UnsafeMutableRawPointer(destination).copyMemory(from: raw.baseAddress! + start, byteCount: width * 4)  // allowed: bounds checked when parsed
        }
    }

    /// Byte offsets of each area, or `nil` when they overflow.
    static func layout(identityBytes: Int, count: Int, promptBytes: Int, width: Int)
        -> (entries: Int, prompts: Int, vectors: Int, total: Int)?
    {
        let (entryArea, o1) = count.multipliedReportingOverflow(by: entrySize)
        let (rowBytes, o2) = width.multipliedReportingOverflow(by: 4)
        guard !o1, !o2, identityBytes >= 0, promptBytes >= 0 else { return nil }
        let (vectorArea, o3) = count.multipliedReportingOverflow(by: rowBytes)
        guard !o3 else { return nil }
        let entries = align(headerSize + identityBytes, 8)
        let (prompts, o4) = entries.addingReportingOverflow(entryArea)
        guard !o4 else { return nil }
        let (promptEnd, o5) = prompts.addingReportingOverflow(promptBytes)
        guard !o5, promptEnd <= Int.max - 16 else { return nil }
        let vectors = align(promptEnd, 16)
        let (total, o6) = vectors.addingReportingOverflow(vectorArea)
        guard !o6 else { return nil }
        return (entries, prompts, vectors, total)
    }

    private static func align(_ value: Int, _ alignment: Int) -> Int {
        (value + alignment - 1) / alignment * alignment
    }

    /// Serialises entries with their vectors; `vector(i, destination)` writes row `i`.
    static func encode(identity: String, key: String, width: Int, entries: [Entry],
                       vector: (Int, UnsafeMutablePointer<Float>) -> Void) -> Data? {
        let identityUTF8 = Array(identity.utf8)
        let keyUTF8 = Array(key.utf8.prefix(32))
        var promptBytes = 0
        var offsets = [Int]()
        offsets.reserveCapacity(entries.count)
        for entry in entries {
            offsets.append(promptBytes)
            promptBytes += entry.prompt.utf8.count
        }
        guard let layout = layout(identityBytes: identityUTF8.count, count: entries.count, promptBytes: promptBytes, width: width),
              entries.allSatisfy({ $0.prompt.utf8.count <= Int(UInt32.max) })
        else { return nil }
        var data = Data(count: layout.total)
        data.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!  // allowed: layout.total > 0 (the header alone is 96 bytes)
            base.copyMemory(from: magic, byteCount: 8)
            raw.storeLE(version, at: 8)
            raw.storeLE(UInt32(width), at: 12)
            raw.storeLE(UInt64(entries.count), at: 16)
            raw.storeLE(UInt64(promptBytes), at: 24)
            raw.storeLE(UInt32(identityUTF8.count), at: 40)
            (base + 48).copyMemory(from: keyUTF8, byteCount: keyUTF8.count)
            (base + headerSize).copyMemory(from: identityUTF8, byteCount: identityUTF8.count)
            for (i, entry) in entries.enumerated() {
                let at = layout.entries + i * entrySize
                raw.storeLE(UInt64(offsets[i]), at: at)
                let utf8 = Array(entry.prompt.utf8)
                raw.storeLE(UInt32(utf8.count), at: at + 8)
                raw.storeLE(entry.flags, at: at + 12)
                raw.storeLE(entry.lastUsed, at: at + 16)
                (base + layout.prompts + offsets[i]).copyMemory(from: utf8, byteCount: utf8.count)
                vector(i, (base + layout.vectors + i * width * 4).assumingMemoryBound(to: Float.self))
            }
            raw.storeLE(checksum(UnsafeRawBufferPointer(raw)), at: 32)
        }
        return data
    }

    /// A 64-bit hash of the whole file except the checksum field (bytes 32..<40), four
    /// independent lanes of 64-bit words so a 200 MB file hashes in tens of milliseconds. It
    /// detects damage, not tampering.
    static func checksum(_ raw: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = ChecksumState()
        hasher.add(UnsafeRawBufferPointer(rebasing: raw[0..<min(32, raw.count)]))
        if raw.count > 40 { hasher.add(UnsafeRawBufferPointer(rebasing: raw[40...])) }
        return hasher.finish()
    }
}

/// The checksum's running state (a multiply-rotate hash in the style of xxHash64's rounds); also
/// the packed-weight cache's (``PackedWeightFile``).
struct ChecksumState {
    private static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private var lanes: (UInt64, UInt64, UInt64, UInt64) = (p1, p2, 0x1656_67B1_9E37_79F9, 0x27D4_EB2F_1656_67C5)
    private var length: UInt64 = 0

    private static func round(_ acc: UInt64, _ word: UInt64) -> UInt64 {
        let mixed = acc &+ word &* p2
        return ((mixed << 31) | (mixed >> 33)) &* p1
    }

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        length &+= UInt64(bytes.count)
        let blocks = bytes.count / 32
        var (a, b, c, d) = lanes
        for i in 0..<blocks {
            let at = i * 32
            a = Self.round(a, bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
            b = Self.round(b, bytes.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self))
            c = Self.round(c, bytes.loadUnaligned(fromByteOffset: at + 16, as: UInt64.self))
            d = Self.round(d, bytes.loadUnaligned(fromByteOffset: at + 24, as: UInt64.self))
        }
        for i in (blocks * 32)..<bytes.count {
            a = Self.round(a, UInt64(bytes[i]) &+ UInt64(i))
        }
        lanes = (a, b, c, d)
    }

    func finish() -> UInt64 {
        var h = lanes.0 ^ ((lanes.1 << 7) | (lanes.1 >> 57)) ^ ((lanes.2 << 12) | (lanes.2 >> 52)) ^ ((lanes.3 << 18) | (lanes.3 >> 46))
        h ^= length
        h ^= h >> 33
        h &*= Self.p2
        h ^= h >> 29
        return h
    }
}
