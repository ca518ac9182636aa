// The Unigram model of HF `tokenizers` 0.23 (tokenizers/src/models/unigram/model.rs
// `encode_optimized`, `tokenize`): Viterbi over every vocabulary entry in double precision, unknown
// characters scored 10 below the lowest score and fused, byte fallback for unknown pieces.

/// A `tokenizer.json` Unigram model.
struct UnigramModel: Sendable {
    private let scores: [Double]
    private let trie: PieceTrie
    /// Token bytes → id (the last entry wins for repeated tokens, as `tokenizers`' map does).
    private let ids: [[UInt8]: Int]
    private let unknownID: Int
    private let minimumScore: Double
    private let byteFallback: Bool

    /// A model over `vocabulary` (token bytes and score, in id order).
    init(vocabulary: [(bytes: [UInt8], score: Double)], unknownID: Int, byteFallback: Bool) {
        var trie = PieceTrie()
        var ids: [[UInt8]: Int] = [:]
        for (id, entry) in vocabulary.enumerated() { ids[entry.bytes] = id }
        for (id, entry) in vocabulary.enumerated().reversed() { trie.insert(entry.bytes, id: Int32(id)) }
        scores = vocabulary.map(\.score)
        minimumScore = scores.min() ?? 0
        self.trie = trie
        self.ids = ids
        self.unknownID = unknownID
        self.byteFallback = byteFallback
    }

    /// The ids of one pre-tokenized piece (valid UTF-8).
    func tokenize(_ piece: [UInt8], into output: inout [Int]) {
        let size = piece.count
        guard size > 0 else { return }
        let unknownScore = minimumScore - 10
        var bestScore = [Double](repeating: 0, count: size + 1)
        var startsAt = [Int](repeating: -1, count: size + 1)
        var bestID = [Int](repeating: 0, count: size + 1)
        var start = 0
        while start < size {
            let scoreHere = bestScore[start]
            let characterLength = Swift.min(Self.characterLength(piece[start]), size - start)
            var hasSingleCharacter = false
            var node = PieceTrie.root
            var position = start
            while position < size, let next = trie.child(of: node, piece[position]) {
                node = next
                position += 1
                guard let id = trie.value(at: node).map(Int.init) else { continue }
                let candidate = scores[id] + scoreHere
                if startsAt[position] == -1 || candidate > bestScore[position] {
                    bestScore[position] = candidate
                    startsAt[position] = start
                    bestID[position] = id
                }
                if position - start == characterLength { hasSingleCharacter = true }
            }
            if !hasSingleCharacter {
                let end = start + characterLength
                let candidate = unknownScore + scoreHere
                if startsAt[end] == -1 || candidate > bestScore[end] {
                    bestScore[end] = candidate
                    startsAt[end] = start
                    bestID[end] = unknownID
                }
            }
            start += characterLength
        }
        // Backtrack; runs of unknown pieces are fused into one string.
        var strings: [Range<Int>] = []
        var fused: Range<Int>?
        var end = size
        while end > 0 {
            let begin = startsAt[end]
            guard begin >= 0, begin < end else { break }
            if bestID[end] == unknownID {
                fused = begin..<(fused?.upperBound ?? end)
            } else {
                if let run = fused { strings.append(run) }
                fused = nil
                strings.append(begin..<end)
            }
            end = begin
        }
        if let run = fused { strings.append(run) }
        for range in strings.reversed() {
            let bytes = Array(piece[range])
            if let id = ids[bytes] {
                output.append(id)
            } else if byteFallback, let byteIDs = byteIDs(bytes) {
                output.append(contentsOf: byteIDs)
            } else {
                output.append(unknownID)
            }
        }
    }

    private func byteIDs(_ bytes: [UInt8]) -> [Int]? {
        let hex = Array("0123456789ABCDEF".utf8)
        var result: [Int] = []
        for byte in bytes {
            guard let id = ids[Array("<0x".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)], UInt8(ascii: ">")]] else {
                return nil
            }
            result.append(id)
        }
        return result
    }

    private static func characterLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: return 4
        case 0xE0...: return 3
        case 0xC0...: return 2
        default: return 1
        }
    }
}
