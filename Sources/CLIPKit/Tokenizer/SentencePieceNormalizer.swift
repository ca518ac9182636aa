// sentencepiece v0.2 `Normalizer::Normalize` and `NormalizePrefix` (src/normalizer.cc), with the
// prefix matcher of user-defined symbols (`PrefixMatcher`).

/// Normalises text as a SentencePiece model's `NormalizerSpec` says: the compiled rules (for
/// example `nmt_nfkc`), leading, trailing and repeated spaces removed, spaces written as `▁`, and a
/// `▁` put in front.
struct SentencePieceNormalizer: Sendable {
    private let charsMap: PrecompiledCharsMap?
    private let spec: SentencePieceModel.NormalizerSpec
    private let treatWhitespaceAsSuffix: Bool
    /// User-defined symbols, which pass through unnormalised (longest match first).
    private let userDefined: [[UInt8]]

    /// `▁` (U+2581), which stands for a space in pieces.
    static let spaceSymbol: [UInt8] = [0xE2, 0x96, 0x81]

    init(model: SentencePieceModel, addDummyPrefix: Bool? = nil) throws(ProtobufError) {
        var spec = model.normalizer
        if let addDummyPrefix { spec.addDummyPrefix = addDummyPrefix }
        self.spec = spec
        charsMap = spec.precompiledCharsMap.isEmpty ? nil : try PrecompiledCharsMap(spec.precompiledCharsMap)
        treatWhitespaceAsSuffix = model.treatWhitespaceAsSuffix
        userDefined = model.pieces.filter { $0.type == .userDefined }.map(\.bytes).sorted { $0.count > $1.count }
    }

    /// The normalised UTF-8 bytes of `input`.
    func normalize(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        var start = 0
        let end = input.count
        if end == 0 { return output }
        output.reserveCapacity(end + 8)
        if spec.removeExtraWhitespaces {
            while start < end {
                let (replacement, consumed) = prefix(input, at: start)
                guard replacement.elementsEqual([UInt8(ascii: " ")]) else { break }
                start += consumed
            }
        }
        if start == end { return output }
        let space: [UInt8] = spec.escapeWhitespaces ? Self.spaceSymbol : [UInt8(ascii: " ")]
        if !treatWhitespaceAsSuffix, spec.addDummyPrefix { output.append(contentsOf: space) }
        var previousIsSpace = spec.removeExtraWhitespaces
        while start < end {
            let (replacement, consumed) = prefix(input, at: start)
            var piece = replacement[...]
            if previousIsSpace {
                while piece.first == UInt8(ascii: " ") { piece = piece.dropFirst() }
            }
            if !piece.isEmpty {
                for byte in piece {
                    if spec.escapeWhitespaces, byte == UInt8(ascii: " ") {
                        output.append(contentsOf: Self.spaceSymbol)
                    } else {
                        output.append(byte)
                    }
                }
                previousIsSpace = piece.last == UInt8(ascii: " ")
            }
            start += consumed
            if !spec.removeExtraWhitespaces { previousIsSpace = false }
        }
        if spec.removeExtraWhitespaces {
            while output.count >= space.count, output[(output.count - space.count)...].elementsEqual(space) {
                output.removeLast(space.count)
            }
        }
        if treatWhitespaceAsSuffix, spec.addDummyPrefix { output.append(contentsOf: space) }
        return output
    }

    /// What the text at `start` becomes, and how many bytes it consumes: a user-defined symbol as
    /// it is, else the longest compiled rule, else one UTF-8 character (an invalid byte becomes U+FFFD).
    private func prefix(_ input: UnsafeBufferPointer<UInt8>, at start: Int) -> ([UInt8], Int) {
        let end = input.count
        for symbol in userDefined where symbol.count <= end - start {
            if UnsafeBufferPointer(rebasing: input[start..<(start + symbol.count)]).elementsEqual(symbol) {
                return (symbol, symbol.count)
            }
        }
        if let charsMap, let match = charsMap.longestMatch(input, from: start, to: end) {
            return (Array(charsMap.replacement(match.replacement)), match.length)
        }
        if let length = Self.validCharacterLength(input, at: start) {
            return (Array(input[start..<(start + length)]), length)
        }
        return ([0xEF, 0xBF, 0xBD], 1)
    }

    /// The length of the valid UTF-8 character at `start` (sentencepiece's `IsValidDecodeUTF8`).
    private static func validCharacterLength(_ input: UnsafeBufferPointer<UInt8>, at start: Int) -> Int? {
        let lead = input[start]
        let available = input.count - start
        func continuation(_ offset: Int) -> UInt32? {
            guard offset < available, input[start + offset] & 0xC0 == 0x80 else { return nil }
            return UInt32(input[start + offset] & 0x3F)
        }
        switch lead {
        case 0x00..<0x80:
            return 1
        case 0xC2..<0xE0:
            return continuation(1) == nil ? nil : 2
        case 0xE0..<0xF0:
            guard let second = continuation(1), let third = continuation(2) else { return nil }
            let scalar = UInt32(lead & 0x0F) << 12 | second << 6 | third
            return scalar >= 0x800 && !(0xD800...0xDFFF).contains(scalar) ? 3 : nil
        case 0xF0..<0xF5:
            guard let second = continuation(1), let third = continuation(2), let fourth = continuation(3) else { return nil }
            let scalar = UInt32(lead & 0x07) << 18 | second << 12 | third << 6 | fourth
            return (0x10000...0x10FFFF).contains(scalar) ? 4 : nil
        default:
            return nil
        }
    }
}
