import CLIPKitKernels
import Foundation

/// One model's packed linear-layer weights in their on-disk form (the packed-weight cache,
/// ``PackedWeightCache``): a header, an entry table, the entries' names, then every buffer at a
/// 64-byte aligned offset, so a memory-mapped file is used in place. All integers little-endian.
///
/// ```
/// 0    magic "CLIPKPWT"            8 bytes
/// 8    version                     u32 (2)
/// 12   entryCount                  u32
/// 16   identityBytes               u32 length of the identity text
/// 20   namesBytes                  u32 length of the names area
/// 24   tableOffset                 u64 = align64(128 + identityBytes)
/// 32   dataOffset                  u64 = align64(tableOffset + entryCount × 128 + namesBytes)
/// 40   fileBytes                   u64, the file's exact length
/// 48   headerChecksum              u64 over bytes 0..<48 and 56..<dataOffset
/// 56   reserved                    u64 (0)
/// 64   key                         32 ASCII bytes (the cache key's digest, also the file name)
/// 96   reserved                    32 bytes (0)
/// 128  identity                    UTF-8: what the key was made of, for `clipkit cache info`
///      table (64-aligned)          entryCount × 128-byte entries:
///        0  nameOffset u32, 4 nameLength u32   (into the names area)
///        8  kind u32 (Kind), 12 bufferCount u32
///        16 output u64, 24 input u64, 32 outlierCount u64
///        40 checksum u64 over the entry's buffers, in order
///        48 5 × {offset u64 (from the file's start, 64-aligned), length u64}
///      names                       namesBytes of UTF-8 (checkpoint keys, e.g.
///                                  `vision_model.encoder.layers.3.mlp.fc1.weight`)
///      data (64-aligned)           the buffers, zero padding between; the file ends at the last
///                                  buffer's end rounded up to 64
/// ```
///
/// Buffers per kind: fp32 `packed` floats; bf16 `packed` u16, `outlierColumns` i32
/// [outlierCount], `outlierWeights` f32 [paddedOutput × outlierCount]; int8 `packed` s8,
/// `scales` f32 [output], `sums` i32 [output], `outlierColumns`, `outlierWeights`.
/// (Version 1 had no outlier columns in bf16 entries.)
///
/// Checksums: both are ``ChecksumState`` (a 4-lane multiply-rotate hash). Measured on the 2-core
/// EPYC of docs/performance.md, hashing runs at memory speed, 20–40 ms per 100 MB, about what a
/// plain sum of the same words costs there, so a faster hash would not buy anything: the time is
/// the one read of the mapped pages (which also faults them in, as the first forward pass
/// otherwise would). Both the header/table checksum and every entry's data checksum are verified
/// at every open — a flipped bit in the data would otherwise give wrong numbers silently — the
/// entries split over the workers.
struct PackedWeightFile {
    static let magic = Array("CLIPKPWT".utf8)
    static let version: UInt32 = 2
    static let headerSize = 128
    static let entrySize = 128
    static let alignment = 64
    static let maxBuffers = 5
    /// Dimensions above this are not a linear layer of a zero-shot model; a file claiming one is corrupt.
    /// (Also keeps every size computed from them far from overflowing.)
    static let maxDimension = 1 << 24
    /// Outlier columns above this are corrupt (the engine keeps at most 8).
    static let maxOutliers = 64
    /// More entries than this are corrupt (a ViT-bigG has under 400 linear layers).
    static let maxEntries = 1 << 16

    /// What an entry's buffers hold.
    enum Kind: UInt32, Sendable {
        /// One buffer: fp32 weights packed for clipkit's fp32 kernels.
        case fp32 = 1
        /// Three buffers: bf16 weights packed for the bf16 kernels, outlier columns, outlier weights.
        case bf16 = 2
        /// Five buffers: packed s8, scales, sums, outlier columns, outlier weights.
        case int8 = 3

        var bufferCount: Int {
            switch self {
            case .fp32: return 1
            case .bf16: return 3
            case .int8: return 5
            }
        }
    }

    /// One entry as read from a file; every offset and length is checked against the file.
    struct Entry: Sendable, Equatable {
        let kind: Kind
        let output: Int
        let input: Int
        let outlierCount: Int
        /// Byte ranges of the buffers, from the file's start.
        let buffers: [Range<Int>]
        let checksum: UInt64
    }

    /// One entry to write: its buffers are read during ``write(to:key:identity:layers:)`` only.
    struct Layer {
        let name: String
        let kind: Kind
        let output: Int
        let input: Int
        let outlierCount: Int
        let buffers: [UnsafeRawBufferPointer]
    }

    /// Why a file was rejected.
    struct Invalid: Error, Equatable { let reason: String }

    let mapping: MappedFile
    let key: String
    let identity: String
    let entries: [String: Entry]

    /// Maps `url` and checks everything: magic, version, every length and offset (overflow-
    /// checked), names, both checksums. Throws ``Invalid``.
    init(url: URL) throws {
        try self.init(mapping: MappedFile(path: url.path), verifyData: true)
    }

    /// Parses `mapping`; `verifyData` false skips the entries' data checksums (summaries).
    init(mapping: MappedFile, verifyData: Bool) throws {
        self.mapping = mapping
        let raw = mapping.bytes
        func fail(_ reason: String) -> Invalid { Invalid(reason: reason) }
        guard raw.count >= Self.headerSize else { throw fail("shorter than its header") }
        guard Array(raw[0..<8]) == Self.magic else { throw fail("not a clipkit packed-weight file") }
        guard raw.le(UInt32.self, at: 8) == Self.version else { throw fail("unknown version") }
        let entryCount = Int(raw.le(UInt32.self, at: 12))
        let identityBytes = Int(raw.le(UInt32.self, at: 16))
        let namesBytes = Int(raw.le(UInt32.self, at: 20))
        guard entryCount <= Self.maxEntries else { throw fail("too many entries") }
        guard let layout = Self.layout(identityBytes: identityBytes, entryCount: entryCount, namesBytes: namesBytes),
              raw.le(UInt64.self, at: 24) == UInt64(layout.table), raw.le(UInt64.self, at: 32) == UInt64(layout.data)
        else { throw fail("header offsets do not match its lengths") }
        guard raw.le(UInt64.self, at: 40) == UInt64(raw.count) else { throw fail("length does not match the header (truncated?)") }
        guard layout.data <= raw.count else { throw fail("table runs past the end of the file") }
        guard Self.headerChecksum(raw, dataOffset: layout.data) == raw.le(UInt64.self, at: 48) else {
            throw fail("header checksum mismatch")
        }
        key = String(decoding: raw[64..<96], as: UTF8.self)
        guard let identity = String(validating: raw[Self.headerSize..<(Self.headerSize + identityBytes)], as: UTF8.self) else {
            throw fail("identity is not UTF-8")
        }
        self.identity = identity
        var entries = [String: Entry](minimumCapacity: entryCount)
        for i in 0..<entryCount {
            let at = layout.table + i * Self.entrySize
            let nameOffset = Int(raw.le(UInt32.self, at: at))
            let nameLength = Int(raw.le(UInt32.self, at: at + 4))
            guard nameOffset <= namesBytes, nameLength <= namesBytes - nameOffset else { throw fail("entry \(i): name out of bounds") }
            let nameStart = layout.names + nameOffset
            guard let name = String(validating: raw[nameStart..<(nameStart + nameLength)], as: UTF8.self), !name.isEmpty else {
                throw fail("entry \(i): name is not UTF-8")
            }
            guard let kind = Kind(rawValue: raw.le(UInt32.self, at: at + 8)) else { throw fail("\(name): unknown kind") }
            guard raw.le(UInt32.self, at: at + 12) == UInt32(kind.bufferCount) else { throw fail("\(name): wrong buffer count") }
            let output64 = raw.le(UInt64.self, at: at + 16)
            let input64 = raw.le(UInt64.self, at: at + 24)
            let outliers64 = raw.le(UInt64.self, at: at + 32)
            guard (1...UInt64(Self.maxDimension)).contains(output64), (1...UInt64(Self.maxDimension)).contains(input64),
                  outliers64 <= UInt64(Self.maxOutliers), outliers64 <= input64, kind != .fp32 || outliers64 == 0
            else { throw fail("\(name): dimensions out of range") }
            let (output, input, outliers) = (Int(output64), Int(input64), Int(outliers64))
            let expected = Self.bufferLengths(kind, output: output, input: input, outlierCount: outliers)
            var buffers = [Range<Int>]()
            for b in 0..<kind.bufferCount {
                let offset64 = raw.le(UInt64.self, at: at + 48 + 16 * b)
                let length64 = raw.le(UInt64.self, at: at + 56 + 16 * b)
                guard length64 == UInt64(expected[b]) else { throw fail("\(name): buffer \(b) has the wrong length for its dimensions") }
                guard offset64 >= UInt64(layout.data), offset64 % UInt64(Self.alignment) == 0, offset64 <= UInt64(raw.count),
                      length64 <= UInt64(raw.count) - offset64
                else { throw fail("\(name): buffer \(b) out of bounds") }
                buffers.append(Int(offset64)..<(Int(offset64) + Int(length64)))
            }
            guard entries[name] == nil else { throw fail("\(name): listed twice") }
            entries[name] = Entry(kind: kind, output: output, input: input, outlierCount: outliers, buffers: buffers,
                                  checksum: raw.le(UInt64.self, at: at + 40))
        }
        self.entries = entries
        if verifyData {
            let list = Array(entries.values)
            let bad = UnsafeMutableBufferPointer<Bool>.allocate(capacity: max(1, list.count))
            bad.initialize(repeating: false)
            defer { bad.deallocate() }
            // Each worker writes its own items' flags only.
            Parallel.forEach(list.count, workers: Parallel.workerCount) { _, item in
                bad[item] = Self.dataChecksum(raw, list[item].buffers) != list[item].checksum
            }
            if bad.contains(true) { throw fail("data checksum mismatch") }
        }
    }

    /// The buffers of `name` as raw views into the mapping (valid while ``mapping`` lives),
    /// or nil when the file has no such entry or it differs in kind, dimensions or outlier count.
    func buffers(_ name: String, kind: Kind, output: Int, input: Int, outlierCount: Int) -> [UnsafeRawBufferPointer]? {
        guard let entry = entries[name], entry.kind == kind, entry.output == output, entry.input == input,
              entry.outlierCount == outlierCount
        else { return nil }
        let raw = mapping.bytes
        return entry.buffers.map { UnsafeRawBufferPointer(rebasing: raw[$0]) }
    }

    /// Byte lengths of each buffer of an entry (dimensions already bounded by ``maxDimension``,
    /// so none of these products can overflow).
    static func bufferLengths(_ kind: Kind, output: Int, input: Int, outlierCount: Int) -> [Int] {
        switch kind {
        case .fp32: return [4 * clipkit_fp32_packed_count(output, input)]
        case .bf16:
            return [2 * clipkit_bf16_packed_count(output, input), 4 * outlierCount, 4 * clipkit_padded_n(output) * outlierCount]
        case .int8:
            return [clipkit_int8_packed_size(output, input), 4 * output, 4 * output, 4 * outlierCount,
                    4 * clipkit_padded_n(output) * outlierCount]
        }
    }

    /// Offsets of the table, the names and the data, or nil when they overflow.
    static func layout(identityBytes: Int, entryCount: Int, namesBytes: Int) -> (table: Int, names: Int, data: Int)? {
        guard identityBytes >= 0, entryCount >= 0, namesBytes >= 0,
              identityBytes <= Int(UInt32.max), namesBytes <= Int(UInt32.max), entryCount <= maxEntries
        else { return nil }
        // Every term is below 2^33, so the sums cannot overflow a 64-bit Int.
        let table = align(headerSize + identityBytes)
        let names = table + entryCount * entrySize
        return (table, names, align(names + namesBytes))
    }

    static func align(_ value: Int) -> Int { (value + alignment - 1) / alignment * alignment }

    static func headerChecksum(_ raw: UnsafeRawBufferPointer, dataOffset: Int) -> UInt64 {
        var state = ChecksumState()
        state.add(UnsafeRawBufferPointer(rebasing: raw[0..<48]))
        state.add(UnsafeRawBufferPointer(rebasing: raw[56..<dataOffset]))
        return state.finish()
    }

    static func dataChecksum(_ raw: UnsafeRawBufferPointer, _ ranges: [Range<Int>]) -> UInt64 {
        var state = ChecksumState()
        for range in ranges { state.add(UnsafeRawBufferPointer(rebasing: raw[range])) }
        return state.finish()
    }

    static func dataChecksum(_ buffers: [UnsafeRawBufferPointer]) -> UInt64 {
        var state = ChecksumState()
        for buffer in buffers { state.add(buffer) }
        return state.finish()
    }

    /// Writes `layers` to `url` (which must not exist: the caller renames it into place).
    /// Throws ``Invalid`` when the layers break a bound of the format, or the POSIX error's text
    /// as ``Invalid`` when writing fails.
    static func write(to url: URL, key: String, identity: String, layers: [Layer]) throws {
        let identityUTF8 = Array(identity.utf8)
        var names = [UInt8]()
        var nameOffsets = [Int]()
        for layer in layers {
            nameOffsets.append(names.count)
            names += Array(layer.name.utf8)
        }
        guard layers.allSatisfy({ layer in
                  layer.buffers.count == layer.kind.bufferCount && layer.output >= 1 && layer.input >= 1
                      && layer.output <= maxDimension && layer.input <= maxDimension && layer.outlierCount <= maxOutliers
                      && layer.buffers.map(\.count) == bufferLengths(layer.kind, output: layer.output, input: layer.input,
                                                                     outlierCount: layer.outlierCount)
              }),
              let layout = layout(identityBytes: identityUTF8.count, entryCount: layers.count, namesBytes: names.count)
        else { throw Invalid(reason: "layers outside the format's bounds") }

        // Offsets of every buffer, then the checksums (each layer on one worker).
        var offsets = [[Int]]()
        var end = layout.data
        for layer in layers {
            var own = [Int]()
            for buffer in layer.buffers {
                own.append(end)
                end = align(end + buffer.count)
            }
            offsets.append(own)
        }
        let checksums = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: max(1, layers.count))
        checksums.initialize(repeating: 0)
        defer { checksums.deallocate() }
        Parallel.forEach(layers.count, workers: Parallel.workerCount) { _, item in
            checksums[item] = dataChecksum(layers[item].buffers)
        }

        var header = [UInt8](repeating: 0, count: layout.data)
        header.withUnsafeMutableBytes { raw in
            magic.withUnsafeBytes { raw.copyMemory(from: $0) }
            raw.storeLE(version, at: 8)
            raw.storeLE(UInt32(layers.count), at: 12)
            raw.storeLE(UInt32(identityUTF8.count), at: 16)
            raw.storeLE(UInt32(names.count), at: 20)
            raw.storeLE(UInt64(layout.table), at: 24)
            raw.storeLE(UInt64(layout.data), at: 32)
            raw.storeLE(UInt64(end), at: 40)
            for (i, byte) in key.utf8.prefix(32).enumerated() { raw[64 + i] = byte }
            for (i, byte) in identityUTF8.enumerated() { raw[headerSize + i] = byte }
            for (i, layer) in layers.enumerated() {
                let at = layout.table + i * entrySize
                raw.storeLE(UInt32(nameOffsets[i]), at: at)
                raw.storeLE(UInt32(layer.name.utf8.count), at: at + 4)
                raw.storeLE(layer.kind.rawValue, at: at + 8)
                raw.storeLE(UInt32(layer.buffers.count), at: at + 12)
                raw.storeLE(UInt64(layer.output), at: at + 16)
                raw.storeLE(UInt64(layer.input), at: at + 24)
                raw.storeLE(UInt64(layer.outlierCount), at: at + 32)
                raw.storeLE(checksums[i], at: at + 40)
                for (b, buffer) in layer.buffers.enumerated() {
                    raw.storeLE(UInt64(offsets[i][b]), at: at + 48 + 16 * b)
                    raw.storeLE(UInt64(buffer.count), at: at + 56 + 16 * b)
                }
            }
            for (i, byte) in names.enumerated() { raw[layout.names + i] = byte }
            raw.storeLE(headerChecksum(UnsafeRawBufferPointer(raw), dataOffset: layout.data), at: 48)
        }

        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Invalid(reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var written = 0
        func append(_ bytes: UnsafeRawBufferPointer) throws {
            var done = 0
            while done < bytes.count {
                guard let base = bytes.baseAddress else { return }
                let n = Glibc.write(fd, base + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Invalid(reason: String(cString: strerror(errno)))
                }
                guard n > 0 else { throw Invalid(reason: "short write") }
                done += n
            }
            written += bytes.count
        }
        let zeros = [UInt8](repeating: 0, count: alignment)
        try header.withUnsafeBytes { try append($0) }
        for (i, layer) in layers.enumerated() {
            for (b, buffer) in layer.buffers.enumerated() {
                let padding = offsets[i][b] - written
                if padding > 0 { try zeros.withUnsafeBytes { try append(UnsafeRawBufferPointer(rebasing: $0[0..<padding])) } }
                try append(buffer)
            }
        }
        if end > written { try zeros.withUnsafeBytes { try append(UnsafeRawBufferPointer(rebasing: $0[0..<(end - written)])) } }
    }
}

/// A whole file mapped read-only, unmapped when the last holder (a packed layer's weights, say)
/// lets go.
final class MappedFile: @unchecked Sendable {
    // Sendable: mapped PROT_READ, never written; every property is set in `init` only.

    let path: String
    let bytes: UnsafeRawBufferPointer

    /// Maps the regular file at `path`. Throws ``PackedWeightFile/Invalid``.
    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PackedWeightFile.Invalid(reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw PackedWeightFile.Invalid(reason: "not a regular file")
        }
        let size = Int(info.st_size)
        guard size > 0 else { throw PackedWeightFile.Invalid(reason: "empty") }
        // MAP_POPULATE: every page is read by the checksum right away; faulting them in one call
        // is cheaper than page by page.
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0), mapped != MAP_FAILED else {
            throw PackedWeightFile.Invalid(reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: mapped, count: size)
    }

    /// A read-only anonymous mapping holding a copy of `contents` (tests of damaged files).
    init(copying contents: [UInt8], path: String = "(memory)") throws {
        self.path = path
        guard !contents.isEmpty,
              let mapped = mmap(nil, contents.count, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              mapped != MAP_FAILED
        else { throw PackedWeightFile.Invalid(reason: "empty") }
        contents.withUnsafeBytes { source in
            if let base = source.baseAddress { mapped.copyMemory(from: base, byteCount: source.count) }
        }
        _ = mprotect(mapped, contents.count, PROT_READ)
        bytes = UnsafeRawBufferPointer(start: mapped, count: contents.count)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}
