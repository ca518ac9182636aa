// The fields of sentencepiece's `sentencepiece_model.proto` (v0.2) that encoding reads, and the
// checks of its `ModelInterface::InitializePieces` (src/model_interface.cc).

/// A SentencePiece model file (`spiece.model`): the `ModelProto` message, as far as encoding uses it.
struct SentencePieceModel: Sendable {
    /// `ModelProto.SentencePiece.Type`.
    enum PieceType: UInt64, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// One vocabulary entry; its id is its index.
    struct Piece: Sendable {
        /// The piece's UTF-8 bytes (`▁` stands for a space).
        var bytes: [UInt8]
        var score: Float
        var type: PieceType
    }

    /// `NormalizerSpec`: how text is normalised before segmentation.
    struct NormalizerSpec: Sendable {
        var name = ""
        /// The compiled normalisation rules (`PrecompiledCharsMap`); empty for the identity.
        var precompiledCharsMap: [UInt8] = []
        var addDummyPrefix = true
        var removeExtraWhitespaces = true
        var escapeWhitespaces = true
    }

    /// `ModelProto.pieces`, in id order.
    var pieces: [Piece] = []
    /// `TrainerSpec.model_type`: 1 unigram, 2 BPE, 3 word, 4 char.
    var modelType: UInt64 = 1
    /// `TrainerSpec.byte_fallback`: unknown characters become their UTF-8 byte pieces `<0xXX>`.
    var byteFallback = false
    /// `TrainerSpec.treat_whitespace_as_suffix`: the dummy `▁` goes at the end instead of the start.
    var treatWhitespaceAsSuffix = false
    var normalizer = NormalizerSpec()
    /// The id of the one `UNKNOWN` piece.
    var unknownID = 0

    /// Parses and checks a serialized `ModelProto`.
    ///
    /// - Throws: `ProtobufError` saying what is malformed or unsupported.
    init(serialized bytes: [UInt8]) throws(ProtobufError) {
        var reader = ProtobufReader(bytes)
        while let field = try reader.next() {
            switch (field.number, field.value) {
            case (1, .bytes(let range)):
                guard pieces.count < Self.maximumPieces else {
                    throw ProtobufError(description: "more than \(Self.maximumPieces) pieces")
                }
                pieces.append(try Self.piece(reader.message(in: range), index: pieces.count))
            case (2, .bytes(let range)):
                try readTrainerSpec(reader.message(in: range))
            case (3, .bytes(let range)):
                normalizer = try Self.normalizerSpec(reader.message(in: range))
            case (1...3, _):
                throw ProtobufError(description: "ModelProto field \(field.number) has the wrong wire type")
            default:
                continue  // self_test_data, denormalizer_spec, extensions.
            }
        }
        try check()
    }

    private static let maximumPieces = 4_000_000

    private static func piece(_ message: ProtobufReader, index: Int) throws(ProtobufError) -> Piece {
        var message = message
        var piece = Piece(bytes: [], score: 0, type: .normal)
        while let field = try message.next() {
            switch (field.number, field.value) {
            case (1, .bytes(let range)): piece.bytes = Array(message.slice(range))
            case (2, .fixed32(let bits)): piece.score = Float(bitPattern: bits)
            case (3, .varint(let raw)):
                guard let type = PieceType(rawValue: raw) else {
                    throw ProtobufError(description: "piece \(index) has the unknown type \(raw)")
                }
                piece.type = type
            case (1...3, _):
                throw ProtobufError(description: "piece \(index): field \(field.number) has the wrong wire type")
            default: continue
            }
        }
        return piece
    }

    private mutating func readTrainerSpec(_ message: ProtobufReader) throws(ProtobufError) {
        var message = message
        while let field = try message.next() {
            switch (field.number, field.value) {
            case (3, .varint(let value)): modelType = value
            case (35, .varint(let value)): byteFallback = value != 0
            case (24, .varint(let value)): treatWhitespaceAsSuffix = value != 0
            case (3, _), (35, _), (24, _):
                throw ProtobufError(description: "TrainerSpec field \(field.number) has the wrong wire type")
            default: continue
            }
        }
    }

    private static func normalizerSpec(_ message: ProtobufReader) throws(ProtobufError) -> NormalizerSpec {
        var message = message
        var spec = NormalizerSpec()
        while let field = try message.next() {
            switch (field.number, field.value) {
            case (1, .bytes(let range)): spec.name = String(decoding: message.slice(range), as: UTF8.self)
            case (2, .bytes(let range)): spec.precompiledCharsMap = Array(message.slice(range))
            case (3, .varint(let value)): spec.addDummyPrefix = value != 0
            case (4, .varint(let value)): spec.removeExtraWhitespaces = value != 0
            case (5, .varint(let value)): spec.escapeWhitespaces = value != 0
            case (1...5, _):
                throw ProtobufError(description: "NormalizerSpec field \(field.number) has the wrong wire type")
            default: continue  // normalization_rule_tsv is only read when training.
            }
        }
        return spec
    }

    /// The checks sentencepiece makes when it loads a model.
    private mutating func check() throws(ProtobufError) {
        guard modelType == 1 else {
            let name = [2: "BPE", 3: "word", 4: "char"][modelType] ?? "type \(modelType)"
            throw ProtobufError(description: "it is a \(name) model; only unigram SentencePiece models are supported")
        }
        guard !pieces.isEmpty else { throw ProtobufError(description: "it has no pieces") }
        var normalPieces = Set<[UInt8]>()
        var reservedPieces = Set<[UInt8]>()
        var unknown: Int?
        var bytesFound = [Bool](repeating: false, count: 256)
        for (index, piece) in pieces.enumerated() {
            guard !piece.bytes.isEmpty else { throw ProtobufError(description: "piece \(index) is empty") }
            let isNormal = piece.type == .normal || piece.type == .userDefined || piece.type == .unused
            let inserted = isNormal ? normalPieces.insert(piece.bytes).inserted : reservedPieces.insert(piece.bytes).inserted
            guard inserted else {
                throw ProtobufError(
                    description: "piece \(String(decoding: piece.bytes, as: UTF8.self).debugDescription) is defined twice")
            }
            switch piece.type {
            case .unknown:
                guard unknown == nil else { throw ProtobufError(description: "it has more than one unknown piece") }
                unknown = index
            case .byte:
                guard byteFallback else {
                    throw ProtobufError(description: "byte piece \(index) found although byte_fallback is off")
                }
                guard let byte = Self.byteValue(ofPiece: piece.bytes) else {
                    throw ProtobufError(description: "byte piece \(index) is not of the form <0xXX>")
                }
                bytesFound[Int(byte)] = true
            default: break
            }
        }
        guard let unknown else { throw ProtobufError(description: "it has no unknown piece") }
        if byteFallback, bytesFound.contains(false) {
            throw ProtobufError(description: "byte_fallback is on but not all 256 byte pieces are defined")
        }
        unknownID = unknown
    }

    /// The byte a piece `<0xXX>` stands for.
    static func byteValue(ofPiece bytes: [UInt8]) -> UInt8? {
        guard bytes.count == 6, bytes.starts(with: Array("<0x".utf8)), bytes[5] == UInt8(ascii: ">") else { return nil }
        func digit(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        guard let high = digit(bytes[3]), let low = digit(bytes[4]) else { return nil }
        return high << 4 | low
    }
}
