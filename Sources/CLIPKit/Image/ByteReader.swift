/// Bounds-checked little-endian reads over a file's bytes; running off the end is
/// ``ImageError/truncated(file:)``.
struct ByteReader {
    let bytes: UnsafeBufferPointer<UInt8>
    let file: String
    var offset = 0

    init(bytes: UnsafeBufferPointer<UInt8>, file: String, offset: Int = 0) {
        self.bytes = bytes
        self.file = file
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw ImageError.truncated(file: file) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func uint16LE() throws -> UInt16 {
        let low = try byte()
        return UInt16(low) | UInt16(try byte()) << 8
    }

    mutating func uint32LE() throws -> UInt32 {
        let low = UInt32(try uint16LE())
        return low | UInt32(try uint16LE()) << 16
    }

    mutating func bytes(_ count: Int) throws -> UnsafeBufferPointer<UInt8> {
        guard count >= 0, count <= remaining else { throw ImageError.truncated(file: file) }
        defer { offset += count }
        return UnsafeBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    mutating func skip(_ count: Int) throws {
        guard count >= 0, count <= remaining else { throw ImageError.truncated(file: file) }
        offset += count
    }

    /// Skips GIF data sub-blocks up to and including the zero-length terminator.
    mutating func skipSubBlocks() throws {
        while true {
            let size = Int(try byte())
            if size == 0 { return }
            try skip(size)
        }
    }
}
