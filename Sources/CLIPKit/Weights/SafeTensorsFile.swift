// The safetensors format: https://github.com/huggingface/safetensors (README, "Format").
import Foundation

/// A safetensors file, memory-mapped and validated.
///
/// Opening checks every promise of the format before any tensor is read: the 8-byte header
/// length is in bounds (at most 100 MB and inside the file), the header is a JSON object of
/// `{dtype, shape, data_offsets}` entries, every dtype is known, every offset range lies inside
/// the data section, byte lengths equal `product(shape) × dtype size`, and no two tensors
/// overlap. F32 tensors are then used in place from the mapping; F16 and BF16 tensors are
/// converted to `Float` once, when asked for.
public final class SafeTensorsFile: @unchecked Sendable {
    // Sendable: the mapping is read-only and immutable after `init`.

    /// One tensor's entry in the header.
    public struct Entry: Sendable, Equatable {
        public let dtype: DType
        public let shape: [Int]
        /// Byte range relative to the start of the data section.
        public let byteRange: Range<Int>
        /// Number of elements.
        public var count: Int { shape.reduce(1, *) }
    }

    /// The largest header the format allows.
    public static let maxHeaderLength = 100_000_000

    /// Path of the file, for messages.
    public let path: String
    /// Every tensor in the file, by name.
    public let entries: [String: Entry]
    /// The optional `__metadata__` string map.
    public let metadata: [String: String]

    private let base: UnsafeRawPointer
    private let mappedLength: Int
    private let dataOffset: Int

    /// Maps and validates the file at `url`. Throws ``WeightsError``.
    public init(url: URL) throws {
        let path = url.path
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw WeightsError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw WeightsError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw WeightsError.unreadable(path: path, reason: "not a regular file")
        }
        let fileSize = Int(info.st_size)
        guard fileSize >= 8 else {
            throw WeightsError.malformed(path: path, reason: "file is \(fileSize) bytes, shorter than the 8-byte header length")
        }
        guard let mapped = mmap(nil, fileSize, PROT_READ, MAP_PRIVATE, fd, 0),
              mapped != MAP_FAILED else {
            throw WeightsError.unreadable(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        let raw = UnsafeRawPointer(mapped)
        do {
            let headerLength = raw.loadUnaligned(as: UInt64.self).littleEndian
            guard headerLength <= UInt64(Self.maxHeaderLength) else {
                throw WeightsError.malformed(path: path, reason: "header length \(headerLength) exceeds the format's 100 MB limit")
            }
            let n = Int(headerLength)
            guard n <= fileSize - 8 else {
                throw WeightsError.malformed(path: path, reason: "header length \(n) runs past the end of the file (\(fileSize) bytes); the file is truncated or not safetensors")
            }
            let header = Data(bytes: raw + 8, count: n)
            let dataLength = fileSize - 8 - n
            (entries, metadata) = try Self.parseHeader(header, dataLength: dataLength, path: path)
            base = raw
            mappedLength = fileSize
            dataOffset = 8 + n
        } catch {
            munmap(mapped, fileSize)
            throw error
        }
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), mappedLength)
    }

    /// Raw bytes of a tensor, valid as long as this object lives.
    public func bytes(of name: String) throws -> UnsafeRawBufferPointer {
        guard let entry = entries[name] else {
            throw WeightsError.missingTensor(path: path, tensor: name)
        }
        return UnsafeRawBufferPointer(start: base + dataOffset + entry.byteRange.lowerBound,
                                      count: entry.byteRange.count)
    }

    /// Tells the kernel that the pages lying wholly inside tensor `name` are not needed any
    /// more (after a layer copied them into a packed int8 / bf16 form), so they leave the
    /// process's resident memory. Harmless if they are read again: the mapping is private and
    /// read-only, and the pages are read back from the file. Unknown names are ignored.
    func releasePages(of name: String) {
        guard let entry = entries[name] else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        let start = Int(bitPattern: base) + dataOffset + entry.byteRange.lowerBound
        let end = Int(bitPattern: base) + dataOffset + entry.byteRange.upperBound
        let first = (start + page - 1) / page * page
        let last = end / page * page
        guard last > first, let pointer = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(pointer, last - first, Int32(MADV_DONTNEED))
    }

    /// A tensor's elements as `Float`: in place for aligned F32, converted otherwise.
    public func floats(of name: String) throws -> FloatStorage {
        guard let entry = entries[name] else {
            throw WeightsError.missingTensor(path: path, tensor: name)
        }
        let raw = try bytes(of: name)
        let count = entry.count
        switch entry.dtype {
        case .f32:
            if let start = raw.baseAddress, Int(bitPattern: start) % MemoryLayout<Float>.alignment == 0 {
                return FloatStorage(borrowing: start.assumingMemoryBound(to: Float.self), count: count, owner: self)
            }
            return FloatStorage(converting: count) { out in
                for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            }
        case .f16:
            return FloatStorage(converting: count) { out in
                for i in 0..<count {
                    out[i] = Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
                }
            }
        case .bf16:
            return FloatStorage(converting: count) { out in
                for i in 0..<count {
                    let bits = UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                    out[i] = Float(bitPattern: bits << 16)
                }
            }
        default:
            throw WeightsError.unsupportedDType(path: path, tensor: name, dtype: entry.dtype.rawValue)
        }
    }

    // MARK: - Header validation

    /// A header value: the `__metadata__` string map or a tensor entry, as written.
    private enum HeaderValue: Decodable {
        case metadata([String: String])
        case tensor(dtype: String?, shape: [Int]?, offsets: [Int]?)

        private enum Keys: String, CodingKey { case dtype, shape, data_offsets }

        init(from decoder: Decoder) throws {
            if let map = try? decoder.singleValueContainer().decode([String: String].self) {
                self = .metadata(map)
                return
            }
            let c = try decoder.container(keyedBy: Keys.self)
            self = .tensor(dtype: try? c.decode(String.self, forKey: .dtype),
                           shape: try? c.decode([Int].self, forKey: .shape),
                           offsets: try? c.decode([Int].self, forKey: .data_offsets))
        }
    }

    private static func parseHeader(_ header: Data, dataLength: Int, path: String) throws
        -> ([String: Entry], [String: String])
    {
        func fail(_ reason: String) -> WeightsError { .malformed(path: path, reason: reason) }
        let values: [String: HeaderValue]
        do {
            values = try JSONDecoder().decode([String: HeaderValue].self, from: header)
        } catch {
            throw fail("header is not a JSON object of tensor entries")
        }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in values {
            switch value {
            case .metadata(let map):
                guard name == "__metadata__" else { throw fail("entry '\(name)' is not a tensor entry") }
                metadata = map
            case .tensor(let dtypeName, let shapeValues, let offsets):
                guard name != "__metadata__" else { throw fail("__metadata__ is not a map of strings") }
                guard let dtypeName else { throw fail("tensor '\(name)' has no dtype") }
                guard let dtype = DType(rawValue: dtypeName) else { throw fail("tensor '\(name)' has unknown dtype '\(dtypeName)'") }
                guard let shape = shapeValues else { throw fail("tensor '\(name)' has no shape array") }
                var elementCount = 1
                for d in shape {
                    guard d >= 0 else { throw fail("tensor '\(name)' has a negative dimension in \(shape)") }
                    let (product, overflow) = elementCount.multipliedReportingOverflow(by: d)
                    guard !overflow else { throw fail("tensor '\(name)' shape \(shape) overflows") }
                    elementCount = product
                }
                guard let offsets, offsets.count == 2 else {
                    throw fail("tensor '\(name)' has no valid data_offsets [begin, end]")
                }
                let (begin, end) = (offsets[0], offsets[1])
                guard begin >= 0, begin <= end, end <= dataLength else {
                    throw fail("tensor '\(name)' data_offsets [\(begin), \(end)] are outside the \(dataLength)-byte data section")
                }
                let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: dtype.size)
                guard !overflow, byteCount == end - begin else {
                    throw fail("tensor '\(name)' has \(end - begin) bytes but shape \(shape) of \(dtypeName) needs \(elementCount) × \(dtype.size)")
                }
                entries[name] = Entry(dtype: dtype, shape: shape, byteRange: begin..<end)
            }
        }
        let sorted = entries.filter { !$0.value.byteRange.isEmpty }
            .sorted { $0.value.byteRange.lowerBound < $1.value.byteRange.lowerBound }
        for (previous, next) in zip(sorted, sorted.dropFirst())
        where next.value.byteRange.lowerBound < previous.value.byteRange.upperBound {
            throw fail("tensors '\(previous.key)' and '\(next.key)' overlap")
        }
        return (entries, metadata)
    }
}

/// `Float` elements of a weight tensor: either borrowed from a mapped file (kept alive by
/// `owner`) or owned after a dtype conversion.
public final class FloatStorage: @unchecked Sendable {
    // Sendable: the elements are never written after `init`.

    /// First element.
    public let pointer: UnsafePointer<Float>
    /// Number of elements.
    public let count: Int
    private let owner: AnyObject?
    private let ownsMemory: Bool

    init(borrowing pointer: UnsafePointer<Float>, count: Int, owner: AnyObject) {
        self.pointer = pointer
        self.count = count
        self.owner = owner
        self.ownsMemory = false
    }

    init(converting count: Int, _ fill: (UnsafeMutablePointer<Float>) -> Void) {
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        fill(buffer)
        self.pointer = UnsafePointer(buffer)
        self.count = count
        self.owner = nil
        self.ownsMemory = true
    }

    /// Copies `values` into new owned storage.
    public convenience init(copying values: [Float]) {
        self.init(converting: values.count) { out in
            values.withUnsafeBufferPointer { src in
                if let base = src.baseAddress { out.update(from: base, count: values.count) }
            }
        }
    }

    deinit {
        if ownsMemory { UnsafeMutablePointer(mutating: pointer).deallocate() }
    }

    /// The first element (the value of a scalar tensor), read while the storage is alive.
    public var first: Float { count > 0 ? pointer.pointee : 0 }

    /// A copy of the elements.
    public var values: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// Calls `body` with the elements; the buffer is valid only inside `body`.
    public func withBuffer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(UnsafeBufferPointer(start: pointer, count: count)) }
    }
}
