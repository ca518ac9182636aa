// Mirrors the pre-tokenizer of transformers 5.23 `CLIPTokenizer`: Split on
// <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// (matches kept, the rest removed), then ByteLevel(add_prefix_space: false, use_regex: true).

/// Splits normalised text into the words that BPE encodes, by hand over Unicode scalars.
///
/// At each position the alternatives of the reference pattern are tried in order and the first
/// that matches wins (leftmost-first, as Oniguruma); whitespace (`\s`, the Unicode `White_Space`
/// property) matches nothing and is dropped. `\p{L}` and `\p{N}` are the Unicode general
/// categories L* and N*; combining marks (M*) are neither, so they fall into the punctuation
/// alternative. The ByteLevel stage re-splits each piece with GPT-2's pattern; that changes only
/// the special-token alternatives, `<|endoftext|>` becoming `<|`, `endoftext`, `|>`.
enum PreTokenizer {
    /// What the split pattern sees in a scalar.
    enum Category: UInt8 {
        case whitespace, letter, number, other
    }

    /// The category of `scalar`.
    @inline(__always)
    static func category(of scalar: Unicode.Scalar) -> Category {
        let value = scalar.value
        if value < 0x80 { return asciiCategory(UInt8(value)) }
        if scalar.properties.isWhitespace { return .whitespace }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return .other
        }
    }

    /// Appends the byte ranges of the pieces of `text` (valid UTF-8), in order, to `pieces`.
    static func split(_ text: UnsafeBufferPointer<UInt8>, into pieces: inout [Range<Int>]) {
        let count = text.count
        var index = 0
        while index < count {
            let (scalar, length) = decode(text, at: index)
            switch category(of: scalar) {
            case .whitespace:
                index += length
            case .number:
                pieces.append(index..<index + length)
                index += length
            case .letter:
                let start = index
                index += length
                while index < count {
                    let (next, nextLength) = decode(text, at: index)
                    guard category(of: next) == .letter else { break }
                    index += nextLength
                }
                pieces.append(start..<index)
            case .other:
                if scalar == "<", let name = specialTokenName(in: text, at: index) {
                    // ByteLevel's GPT-2 split turns the one match into three pieces.
                    pieces.append(index..<index + 2)
                    pieces.append(index + 2..<index + 2 + name)
                    pieces.append(index + 2 + name..<index + 4 + name)
                    index += 4 + name
                    continue
                }
                if scalar == "'", let contraction = contractionLength(in: text, at: index) {
                    pieces.append(index..<index + contraction)
                    index += contraction
                    continue
                }
                let start = index
                index += length
                while index < count {
                    let (next, nextLength) = decode(text, at: index)
                    guard category(of: next) == .other else { break }
                    index += nextLength
                }
                pieces.append(start..<index)
            }
        }
    }

    /// The scalar starting at `index` of valid UTF-8 and its length in bytes.
    @inline(__always)
    private static func decode(_ text: UnsafeBufferPointer<UInt8>, at index: Int) -> (Unicode.Scalar, Int) {
        let lead = UInt32(text[index])
        let value: UInt32
        let length: Int
        switch lead {
        case ..<0x80:
            return (Unicode.Scalar(UInt8(lead)), 1)
        case ..<0xE0:
            value = (lead & 0x1F) << 6 | UInt32(text[index + 1] & 0x3F)
            length = 2
        case ..<0xF0:
            value = (lead & 0x0F) << 12 | UInt32(text[index + 1] & 0x3F) << 6 | UInt32(text[index + 2] & 0x3F)
            length = 3
        default:
            value = (lead & 0x07) << 18 | UInt32(text[index + 1] & 0x3F) << 12
                | UInt32(text[index + 2] & 0x3F) << 6 | UInt32(text[index + 3] & 0x3F)
            length = 4
        }
        return (Unicode.Scalar(value) ?? "\u{FFFD}", length)
    }

    /// Length of `'s`, `'t`, `'re`, `'ve`, `'m`, `'ll` or `'d` starting at `index`, if one does.
    private static func contractionLength(in text: UnsafeBufferPointer<UInt8>, at index: Int) -> Int? {
        guard index + 1 < text.count else { return nil }
        let third: UInt8? = index + 2 < text.count ? text[index + 2] : nil
        switch text[index + 1] {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
            return 2
        case UInt8(ascii: "r"), UInt8(ascii: "v"):
            return third == UInt8(ascii: "e") ? 3 : nil
        case UInt8(ascii: "l"):
            return third == UInt8(ascii: "l") ? 3 : nil
        default:
            return nil
        }
    }

    /// Length of the name in `<|startoftext|>` or `<|endoftext|>` starting at `index`, if one does.
    private static func specialTokenName(in text: UnsafeBufferPointer<UInt8>, at index: Int) -> Int? {
        for token in specialTokens {
            let end = index + token.count
            if end <= text.count, text[index..<end].elementsEqual(token) { return token.count - 4 }
        }
        return nil
    }

    private static let specialTokens: [[UInt8]] = [Array("<|startoftext|>".utf8), Array("<|endoftext|>".utf8)]

    @inline(__always)
    private static func asciiCategory(_ byte: UInt8) -> Category {
        if (byte | 0x20) &- UInt8(ascii: "a") < 26 { return .letter }
        if byte &- UInt8(ascii: "0") < 10 { return .number }
        if byte == 0x20 || byte &- 0x09 < 5 { return .whitespace }
        return .other
    }
}
