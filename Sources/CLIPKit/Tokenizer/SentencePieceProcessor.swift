// sentencepiece v0.2's encoding path: `SentencePieceProcessor::Encode` (src/sentencepiece_processor.cc:
// normalise, segment, merge runs of unknown pieces or split them into byte pieces) over the unigram
// model's `Model::EncodeOptimized` (src/unigram_model.cc).

/// One piece of an encoding.
struct SentencePieceToken: Equatable, Sendable {
    /// The piece's id (the unknown id for a run of unknown characters).
    var id: Int
    /// Whether the piece's text is exactly `▁`, which transformers' `SiglipTokenizer` looks at.
    var isSpaceSymbol: Bool
}

/// Encodes text with a unigram SentencePiece model exactly as the `sentencepiece` library does
/// (`encode(text, out_type=str)`, one token per returned piece).
struct SentencePieceProcessor: Sendable {
    let model: SentencePieceModel
    private let normalizer: SentencePieceNormalizer
    private let trie: PieceTrie
    /// `-10` below the lowest score of a normal piece, as sentencepiece's `kUnkPenalty`.
    private let unknownScore: Float
    /// The highest normal score, but at least `FLT_MIN` (sentencepiece starts from it).
    private let maximumScore: Float
    /// The id of `<0xXX>` for every byte when byte fallback is on.
    private let byteIDs: [Int]

    /// Prepares `model`; `addDummyPrefix` overrides the model's own setting.
    init(model: SentencePieceModel, addDummyPrefix: Bool? = nil) throws(ProtobufError) {
        self.model = model
        normalizer = try SentencePieceNormalizer(model: model, addDummyPrefix: addDummyPrefix)
        var trie = PieceTrie()
        var minimum = Float.greatestFiniteMagnitude
        var maximum = Float.leastNormalMagnitude
        var byteIDs = [Int](repeating: model.unknownID, count: 256)
        for (id, piece) in model.pieces.enumerated() {
            switch piece.type {
            case .normal:
                minimum = Swift.min(minimum, piece.score)
                maximum = Swift.max(maximum, piece.score)
                trie.insert(piece.bytes, id: Int32(id))
            case .userDefined, .unused:
                trie.insert(piece.bytes, id: Int32(id))
            case .byte:
                if let byte = SentencePieceModel.byteValue(ofPiece: piece.bytes) { byteIDs[Int(byte)] = id }
            case .unknown, .control:
                break
            }
        }
        if minimum == .greatestFiniteMagnitude { minimum = 0 }
        self.trie = trie
        unknownScore = minimum - 10
        maximumScore = maximum
        self.byteIDs = byteIDs
    }

    /// The pieces of `text`.
    func encode(_ text: String) -> [SentencePieceToken] {
        var text = text
        let normalized = text.withUTF8 { normalizer.normalize($0) }
        return normalized.withUnsafeBufferPointer { segment($0) }
    }

    /// The best segmentation of normalised bytes, with unknown runs merged (or byte pieces).
    private func segment(_ input: UnsafeBufferPointer<UInt8>) -> [SentencePieceToken] {
        let size = input.count
        guard size > 0 else { return [] }
        // For each end position: the best path's score, where its last piece starts, and its id.
        var bestScore = [Float](repeating: 0, count: size + 1)
        var startsAt = [Int](repeating: -1, count: size + 1)
        var bestID = [Int](repeating: -1, count: size + 1)
        var start = 0
        while start < size {
            let scoreHere = bestScore[start]
            let characterLength = Swift.min(Self.characterLength(input[start]), size - start)
            var hasSingleCharacterPiece = false
            var node = PieceTrie.root
            var position = start
            while position < size, let next = trie.child(of: node, input[position]) {
                node = next
                position += 1
                guard let id = trie.value(at: node).map(Int.init) else { continue }
                let piece = model.pieces[id]
                if piece.type == .unused { continue }
                let length = position - start
                // sentencepiece adds in double here (`length * max_score_ - 0.1` is a double), then stores a float.
                let score = piece.type == .userDefined
                    ? Double(Float(length) * maximumScore) - 0.1 : Double(piece.score)
                let candidate = score + Double(scoreHere)
                if startsAt[position] == -1 || candidate > Double(bestScore[position]) {
                    bestScore[position] = Float(candidate)
                    startsAt[position] = start
                    bestID[position] = id
                }
                if length == characterLength { hasSingleCharacterPiece = true }
            }
            if !hasSingleCharacterPiece {
                let end = start + characterLength
                let candidate = unknownScore + scoreHere
                if startsAt[end] == -1 || candidate > bestScore[end] {
                    bestScore[end] = candidate
                    startsAt[end] = start
                    bestID[end] = model.unknownID
                }
            }
            start += characterLength
        }
        var path: [(id: Int, range: Range<Int>)] = []
        var end = size
        while end > 0 {
            let begin = startsAt[end]
            // Every position a path reaches has a predecessor; guard anyway rather than loop.
            guard begin >= 0, begin < end else { break }
            path.append((bestID[end], begin..<end))
            end = begin
        }
        path.reverse()
        var tokens: [SentencePieceToken] = []
        tokens.reserveCapacity(path.count)
        var previousIsUnknown = false
        for (id, range) in path {
            let isUnknown = id == model.unknownID
            if isUnknown, model.byteFallback {
                for byte in input[range] { tokens.append(SentencePieceToken(id: byteIDs[Int(byte)], isSpaceSymbol: false)) }
            } else if isUnknown, previousIsUnknown, let last = tokens.indices.last {
                // A run of unknown pieces is one piece; it can no longer be `▁` alone.
                tokens[last].isSpaceSymbol = false
            } else {
                let isSpace = input[range].elementsEqual(SentencePieceNormalizer.spaceSymbol)
                tokens.append(SentencePieceToken(id: id, isSpaceSymbol: isSpace))
            }
            previousIsUnknown = isUnknown
        }
        return tokens
    }

    /// sentencepiece's `OneCharLen`: the length a UTF-8 lead byte announces (1 for a stray byte).
    private static func characterLength(_ lead: UInt8) -> Int {
        switch lead >> 4 {
        case 0xC, 0xD: return 2
        case 0xE: return 3
        case 0xF: return 4
        default: return 1
        }
    }
}
