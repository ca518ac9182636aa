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
        if value < 0x80 { return asciiCategories[Int(value)] }
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

    /// Appends the ranges of `scalars` that form pieces, in order, to `pieces`.
    static func split(_ scalars: [Unicode.Scalar], into pieces: inout [Range<Int>]) {
        let count = scalars.count
        var index = 0
        while index < count {
            let scalar = scalars[index]
            let category = category(of: scalar)
            switch category {
            case .whitespace:
                index += 1
            case .number:
                pieces.append(index..<index + 1)
                index += 1
            case .letter:
                let start = index
                index += 1
                while index < count, Self.category(of: scalars[index]) == .letter { index += 1 }
                pieces.append(start..<index)
            case .other:
                if scalar == "<", let end = specialTokenEnd(in: scalars, at: index) {
                    // ByteLevel's GPT-2 split turns the one match into three pieces.
                    pieces.append(index..<index + 2)
                    pieces.append(index + 2..<end - 2)
                    pieces.append(end - 2..<end)
                    index = end
                    continue
                }
                if scalar == "'", let length = contractionLength(in: scalars, at: index) {
                    pieces.append(index..<index + length)
                    index += length
                    continue
                }
                let start = index
                index += 1
                while index < count, Self.category(of: scalars[index]) == .other { index += 1 }
                pieces.append(start..<index)
            }
        }
    }

    /// Length of `'s`, `'t`, `'re`, `'ve`, `'m`, `'ll` or `'d` starting at `index`, if one does.
    private static func contractionLength(in scalars: [Unicode.Scalar], at index: Int) -> Int? {
        guard index + 1 < scalars.count else { return nil }
        switch scalars[index + 1] {
        case "s", "t", "m", "d":
            return 2
        case "r", "v":
            return index + 2 < scalars.count && scalars[index + 2] == "e" ? 3 : nil
        case "l":
            return index + 2 < scalars.count && scalars[index + 2] == "l" ? 3 : nil
        default:
            return nil
        }
    }

    /// End of `<|startoftext|>` or `<|endoftext|>` starting at `index`, if one does.
    private static func specialTokenEnd(in scalars: [Unicode.Scalar], at index: Int) -> Int? {
        for token in specialTokenScalars {
            let end = index + token.count
            if end <= scalars.count, scalars[index..<end].elementsEqual(token) { return end }
        }
        return nil
    }

    private static let specialTokenScalars: [[Unicode.Scalar]] = [
        Array("<|startoftext|>".unicodeScalars), Array("<|endoftext|>".unicodeScalars),
    ]

    private static let asciiCategories: [Category] = (0..<128).map { value -> Category in
        switch value {
        case 0x09...0x0D, 0x20: return .whitespace
        case 0x30...0x39: return .number
        case 0x41...0x5A, 0x61...0x7A: return .letter
        default: return .other
        }
    }
}
