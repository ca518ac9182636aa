/// A strict parser for `vocab.json`: one JSON object whose values are all integers.
///
/// The generic `JSONDecoder` spends about a quarter of a second on OpenAI's 49,408-entry
/// vocabulary; this reads it in a few milliseconds. It accepts exactly the JSON grammar (RFC 8259)
/// for such an object, including every string escape, and reports the byte offset of the first
/// problem otherwise.
struct VocabularyJSON {
    /// Why the text is not such an object, with the byte offset where it went wrong.
    struct SyntaxError: Error {
        let offset: Int
        let message: String

        var description: String { "\(message) at byte \(offset)" }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    /// Parses `bytes` (UTF-8) into a token → id dictionary.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(SyntaxError) -> [String: Int] {
        var parser = VocabularyJSON(bytes: bytes)
        return try parser.parseObject()
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        // A UTF-8 byte order mark is tolerated, as Foundation's decoder does.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    private mutating func parseObject() throws(SyntaxError) -> [String: Int] {
        skipWhitespace()
        try expect(UInt8(ascii: "{"), "expected '{'")
        var result: [String: Int] = [:]
        result.reserveCapacity(bytes.count / 16)
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                skipWhitespace()
                let key = try parseString()
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "expected ':'")
                skipWhitespace()
                result[key] = try parseInteger()
                skipWhitespace()
                if peek() == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "}"), "expected ',' or '}'")
                break
            }
        }
        skipWhitespace()
        guard index == bytes.count else { throw SyntaxError(offset: index, message: "unexpected text after the object") }
        return result
    }

    private mutating func parseString() throws(SyntaxError) -> String {
        try expect(UInt8(ascii: "\""), "expected a string")
        let start = index
        // Fast path: no escapes.
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") {
            guard bytes[index] >= 0x20 else { throw SyntaxError(offset: index, message: "control character in a string") }
            index += 1
        }
        guard index < bytes.count else { throw SyntaxError(offset: start - 1, message: "unterminated string") }
        if bytes[index] == UInt8(ascii: "\"") {
            index += 1
            guard let string = Self.decodeUTF8(UnsafeBufferPointer(rebasing: bytes[start..<index - 1])) else {
                throw SyntaxError(offset: start, message: "string is not valid UTF-8")
            }
            return string
        }
        var utf8 = Array(bytes[start..<index])
        while bytes[index] != UInt8(ascii: "\"") {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") {
                index += 1
                try appendEscape(to: &utf8)
            } else {
                guard byte >= 0x20 else { throw SyntaxError(offset: index, message: "control character in a string") }
                utf8.append(byte)
                index += 1
            }
            guard index < bytes.count else { throw SyntaxError(offset: start - 1, message: "unterminated string") }
        }
        index += 1
        guard let string = utf8.withUnsafeBufferPointer(Self.decodeUTF8) else {
            throw SyntaxError(offset: start, message: "string is not valid UTF-8")
        }
        return string
    }

    private mutating func appendEscape(to utf8: inout [UInt8]) throws(SyntaxError) {
        guard index < bytes.count else { throw SyntaxError(offset: index, message: "unterminated escape") }
        let escape = bytes[index]
        index += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var value = try parseHex4()
            if (0xD800..<0xDC00).contains(value) {
                // A high surrogate must be followed by an escaped low surrogate.
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw SyntaxError(offset: index, message: "unpaired surrogate escape")
                }
                index += 2
                let low = try parseHex4()
                guard (0xDC00..<0xE000).contains(low) else { throw SyntaxError(offset: index, message: "unpaired surrogate escape") }
                value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(value) else { throw SyntaxError(offset: index, message: "unpaired surrogate escape") }
            UTF8.encode(scalar) { utf8.append($0) }
        default:
            throw SyntaxError(offset: index - 1, message: "invalid escape")
        }
    }

    private mutating func parseHex4() throws(SyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw SyntaxError(offset: index, message: "truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw SyntaxError(offset: index, message: "invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// A JSON integer (no fraction or exponent) that fits `Int`.
    private mutating func parseInteger() throws(SyntaxError) -> Int {
        let start = index
        let negative = peek() == UInt8(ascii: "-")
        if negative { index += 1 }
        let digitsStart = index
        var magnitude = 0
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(bytes[index] - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw SyntaxError(offset: start, message: "integer too large") }
            magnitude = sum
            index += 1
        }
        let digits = index - digitsStart
        guard digits > 0 else { throw SyntaxError(offset: start, message: "expected an integer id") }
        guard digits == 1 || bytes[digitsStart] != UInt8(ascii: "0") else {
            throw SyntaxError(offset: start, message: "leading zero in a number")
        }
        if let next = peek(), next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            throw SyntaxError(offset: start, message: "expected an integer id")
        }
        return negative ? -magnitude : magnitude
    }

    private func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    private mutating func expect(_ byte: UInt8, _ message: String) throws(SyntaxError) {
        guard peek() == byte else { throw SyntaxError(offset: index, message: message) }
        index += 1
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    /// The string of `utf8`, or `nil` when it is not valid UTF-8. (`String(validating:as:)`
    /// would do, but needs macOS 15.)
    private static func decodeUTF8(_ utf8: UnsafeBufferPointer<UInt8>) -> String? {
        let string = String(decoding: utf8, as: UTF8.self)
        // Decoding repairs invalid input with U+FFFD, which changes the bytes.
        return string.utf8.elementsEqual(utf8) ? string : nil
    }
}
