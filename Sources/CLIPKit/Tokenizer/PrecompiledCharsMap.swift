// sentencepiece v0.2's compiled normalisation rules (src/normalizer.cc `DecodePrecompiledCharsMap`,
// `NormalizePrefix`) over a darts-clone double array (third_party/darts_clone `commonPrefixSearch`).

/// The `precompiled_charsmap` of a SentencePiece normalizer: a double-array trie from input byte
/// sequences to offsets of NUL-terminated replacement strings.
///
/// Layout: a little-endian `UInt32` trie size in bytes, the trie's 32-bit units, then the
/// replacement strings. Every index is bounds-checked: a malformed map stops matching, never reads
/// outside its bytes.
struct PrecompiledCharsMap: Sendable {
    /// The double array's units.
    private let units: [UInt32]
    /// The replacement strings, each ending in NUL.
    private let normalized: [UInt8]

    /// Splits the blob into the trie and the strings.
    init(_ blob: [UInt8]) throws(ProtobufError) {
        guard blob.count > 4 else { throw ProtobufError(description: "precompiled_charsmap is too short") }
        let trieSize = Int(blob[0]) | Int(blob[1]) << 8 | Int(blob[2]) << 16 | Int(blob[3]) << 24
        guard trieSize < blob.count else {
            throw ProtobufError(description: "precompiled_charsmap's trie size \(trieSize) exceeds the map's \(blob.count) bytes")
        }
        // Only whole units, as darts-clone's `set_array(blob, size / unit_size)`.
        guard 4 + trieSize <= blob.count else {
            throw ProtobufError(description: "precompiled_charsmap's trie of \(trieSize) bytes does not fit in the map")
        }
        var units = [UInt32](repeating: 0, count: trieSize / 4)
        for index in units.indices {
            let offset = 4 + 4 * index
            units[index] = UInt32(blob[offset]) | UInt32(blob[offset + 1]) << 8
                | UInt32(blob[offset + 2]) << 16 | UInt32(blob[offset + 3]) << 24
        }
        self.units = units
        normalized = Array(blob[(4 + trieSize)...])
    }

    /// The longest rule matching a prefix of `input[start..<end]`: its length in bytes and the range
    /// of its replacement in `normalized`; nil when no rule matches.
    func longestMatch(_ input: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> (length: Int, replacement: Range<Int>)? {
        guard !units.isEmpty else { return nil }
        var best: (length: Int, value: Int)?
        var id = 0
        id ^= Self.offset(units[0])
        var position = start
        while position < end {
            let label = Int(input[position])
            id ^= label
            guard id < units.count else { break }
            let unit = units[id]
            // The label check includes the leaf bit (bit 31): a value unit never matches a byte.
            guard unit & (0x8000_0000 | 0xFF) == UInt32(label) else { break }
            id ^= Self.offset(unit)
            position += 1
            if (unit >> 8) & 1 == 1 {
                guard id < units.count else { break }
                best = (position - start, Int(units[id] & 0x7FFF_FFFF))
            }
        }
        guard let best, best.value < normalized.count else { return nil }
        let stringEnd = normalized[best.value...].firstIndex(of: 0) ?? normalized.count
        return (best.length, best.value..<stringEnd)
    }

    /// The replacement bytes of a match.
    func replacement(_ range: Range<Int>) -> ArraySlice<UInt8> {
        normalized[range]
    }

    private static func offset(_ unit: UInt32) -> Int {
        Int((unit >> 10) << ((unit & (1 << 9)) >> 6))
    }
}
