// The protobuf wire format (protobuf.dev/programming-guides/encoding), read only as far as
// SentencePiece's `ModelProto` needs: varints, fixed 32/64-bit values and length-delimited fields.

/// Why protobuf bytes could not be read; the text says where.
struct ProtobufError: Error, Equatable, CustomStringConvertible {
    let description: String
}

/// One field of a protobuf message: its number and its wire value.
struct ProtobufField {
    /// A field's value as it appears on the wire.
    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case fixed32(UInt32)
        /// The byte range of a length-delimited value (string, bytes or a nested message).
        case bytes(Range<Int>)
    }

    let number: Int
    let value: Value
}

/// Reads the fields of one protobuf message, checking every length against the bytes it has.
///
/// Groups (wire types 3 and 4, deprecated in proto2 and unused by SentencePiece) are refused.
struct ProtobufReader {
    private let bytes: [UInt8]
    private var position: Int
    private let end: Int

    /// A reader over `range` of `bytes` (the whole buffer when `range` is nil).
    init(_ bytes: [UInt8], range: Range<Int>? = nil) {
        self.bytes = bytes
        let range = range ?? 0..<bytes.count
        position = range.lowerBound
        end = range.upperBound
    }

    /// A reader over a nested message's byte range, sharing this reader's buffer.
    func message(in range: Range<Int>) -> ProtobufReader {
        ProtobufReader(bytes, range: range)
    }

    /// The bytes of a length-delimited value.
    func slice(_ range: Range<Int>) -> ArraySlice<UInt8> {
        bytes[range]
    }

    /// The next field, or nil at the end of the message.
    mutating func next() throws(ProtobufError) -> ProtobufField? {
        guard position < end else { return nil }
        let keyOffset = position
        let key = try readVarint()
        let number = key >> 3
        guard number >= 1, number <= 536_870_911 else {
            throw ProtobufError(description: "invalid field number \(number) at byte \(keyOffset)")
        }
        switch key & 7 {
        case 0:
            return ProtobufField(number: Int(number), value: .varint(try readVarint()))
        case 1:
            return ProtobufField(number: Int(number), value: .fixed64(try readFixed(8)))
        case 5:
            return ProtobufField(number: Int(number), value: .fixed32(UInt32(truncatingIfNeeded: try readFixed(4))))
        case 2:
            let lengthOffset = position
            let length = try readVarint()
            guard length <= UInt64(end - position) else {
                throw ProtobufError(
                    description: "field \(number) at byte \(lengthOffset) claims \(length) bytes, only \(end - position) remain")
            }
            let start = position
            position += Int(length)
            return ProtobufField(number: Int(number), value: .bytes(start..<position))
        default:
            throw ProtobufError(description: "unsupported wire type \(key & 7) at byte \(keyOffset)")
        }
    }

    private mutating func readVarint() throws(ProtobufError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = position
        while position < end {
            let byte = bytes[position]
            position += 1
            // The tenth byte may only carry the top bit of a 64-bit value.
            guard shift < 63 || byte <= 1 else { break }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        throw ProtobufError(description: "truncated or overlong varint at byte \(start)")
    }

    private mutating func readFixed(_ count: Int) throws(ProtobufError) -> UInt64 {
        guard end - position >= count else {
            throw ProtobufError(description: "truncated \(count * 8)-bit value at byte \(position)")
        }
        var result: UInt64 = 0
        for index in 0..<count {
            result |= UInt64(bytes[position + index]) << (8 * UInt64(index))
        }
        position += count
        return result
    }
}
