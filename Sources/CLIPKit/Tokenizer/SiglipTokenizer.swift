import Foundation

// Reproduces the ids of transformers 5.23 `SiglipTokenizer` (models/siglip/tokenization_siglip.py on
// the SentencePiece backend, tokenization_python.py `tokenize`) with sentencepiece 0.2.3, called with
// `truncation=True, max_length=…` (and `padding="max_length"`, as the zero-shot pipeline does).

/// The SentencePiece tokenizer of SigLIP, identical in its ids to transformers' `SiglipTokenizer`.
///
/// Per text, as transformers does: `▁` is put in front (and every `▁` in the text becomes a space);
/// the text is split around special tokens typed in it (`</s>`, `<unk>`); each other stretch is
/// lower-cased (Python's `str.lower`), loses `string.punctuation`, has whitespace runs collapsed and
/// stripped, and is encoded by the unigram model behind `<unk>` (whose pieces are then dropped);
/// `</s>` ends the ids unless they already end with it. Longer texts are cut to keep `</s>` last.
///
/// ```swift
/// let tokenizer = try SiglipTokenizer(directory: modelFolder)
/// tokenizer.encode("This is a photo of a cat.", maxLength: 64).ids
/// ```
public struct SiglipTokenizer: TextTokenizer {
    /// The text length of SigLIP's text model (`model_max_length`, the pipeline's padding length).
    public static let defaultMaxLength = 64

    /// The id of `</s>`, last in every encoding.
    public let endOfSequenceID: Int
    /// The id of `<unk>`: characters the vocabulary lacks (a run of them is one `<unk>`).
    public let unknownID: Int
    /// The id of the padding token (`</s>` in SigLIP's folders).
    public let paddingID: Int
    /// Which side padding goes on (`padding_side`, right unless the folder says otherwise).
    public let paddingSide: PaddingSide
    /// Whether text is lower-cased first (`do_lower_case`, true by default).
    public let lowercases: Bool

    private let processor: SentencePieceProcessor
    private let addedTokens: AddedTokenSplitter
    /// `<unk>`'s text, encoded in front of every stretch of text.
    private let unknownToken: String
    /// How many pieces `<unk>` alone encodes to (transformers' `unk_token_length`).
    private let unknownPrefixLength: Int

    /// Loads `spiece.model` and, when present, `tokenizer_config.json` from a model folder.
    ///
    /// - Throws: `TokenizerError` naming the file that is missing or malformed.
    public init(directory: URL) throws {
        let configuration = try TokenizerConfiguration.read(directory: directory)
        try self.init(modelURL: directory.appendingPathComponent("spiece.model"), configuration: configuration)
    }

    /// Loads a SentencePiece model file with the settings of a `tokenizer_config.json`.
    init(modelURL: URL, configuration: TokenizerConfiguration?) throws(TokenizerError) {
        let model = try Self.readModel(at: modelURL)
        let configuration = configuration ?? TokenizerConfiguration()
        do {
            // transformers' SentencePiece backend turns the dummy prefix off unless `legacy` (the default).
            processor = try SentencePieceProcessor(
                model: model, addDummyPrefix: configuration.legacy == false ? false : nil)
        } catch {
            throw .malformedFile(path: modelURL.path, reason: error.description)
        }
        // sentencepiece's `PieceToId` looks in the reserved pieces (control, unknown, byte) first.
        var reservedIDs: [[UInt8]: Int] = [:]
        var normalIDs: [[UInt8]: Int] = [:]
        for (id, piece) in model.pieces.enumerated() {
            if Self.isReserved(piece.type) {
                if reservedIDs[piece.bytes] == nil { reservedIDs[piece.bytes] = id }
            } else if normalIDs[piece.bytes] == nil {
                normalIDs[piece.bytes] = id
            }
        }
        let added = Dictionary(configuration.addedTokens.map { ($0.content, $0.id) }, uniquingKeysWith: { first, _ in first })
        func id(of token: String) -> Int {
            added[token] ?? reservedIDs[Array(token.utf8)] ?? normalIDs[Array(token.utf8)] ?? model.unknownID
        }

        let eos = configuration.eosToken ?? "</s>"
        let unknown = configuration.unknownToken ?? "<unk>"
        let pad = configuration.padToken ?? "</s>"
        endOfSequenceID = id(of: eos)
        unknownID = id(of: unknown)
        paddingID = id(of: pad)
        paddingSide = configuration.paddingSide ?? .right
        lowercases = configuration.doLowerCase ?? true
        unknownToken = unknown

        let specialNames = Set([eos, unknown, pad] + configuration.extraSpecialTokens)
        var tokens = configuration.addedTokens.map {
            AddedTokenSplitter.Token(
                content: $0.content, id: $0.id, lstrip: $0.lstrip, rstrip: $0.rstrip,
                special: $0.special || specialNames.contains($0.content))
        }
        for name in [eos, unknown, pad] + configuration.extraSpecialTokens where !tokens.contains(where: { $0.content == name }) {
            tokens.append(AddedTokenSplitter.Token(content: name, id: id(of: name), lstrip: false, rstrip: false, special: true))
        }
        addedTokens = AddedTokenSplitter(tokens: tokens)
        unknownPrefixLength = processor.encode(unknown).count
    }

    /// The ids of `text`: its pieces and `</s>`, at most `maxLength` ids (at least one).
    public func encode(_ text: String, maxLength: Int) -> TokenizedText {
        let prefixed = "\u{2581}" + text.replacingOccurrences(of: "\u{2581}", with: " ")
        var tokens: [(id: Int, isSpaceSymbol: Bool, isSpecial: Bool)] = []
        for segment in addedTokens.segments(of: prefixed) {
            switch segment {
            case .token(let token):
                tokens.append((token.id, false, token.special))
            case .text(let stretch):
                for piece in encodeStretch(stretch) { tokens.append((piece.id, piece.isSpaceSymbol, false)) }
            }
        }
        if tokens.count > 1, tokens[0].isSpaceSymbol, tokens[1].isSpecial { tokens.removeFirst() }
        var ids = tokens.map(\.id)
        // One place is kept for `</s>`, as `num_special_tokens_to_add()` is 1.
        let room = Swift.max(maxLength, 1) - 1
        let truncated = ids.count > room
        if truncated { ids.removeLast(ids.count - room) }
        if ids.last != endOfSequenceID { ids.append(endOfSequenceID) }
        return TokenizedText(ids: ids, truncated: truncated)
    }

    /// transformers' `_tokenize` of one stretch between special tokens.
    private func encodeStretch(_ stretch: Substring) -> [SentencePieceToken] {
        let pieces = processor.encode(unknownToken + canonicalize(stretch))
        return pieces.count >= unknownPrefixLength ? Array(pieces.dropFirst(unknownPrefixLength)) : pieces
    }

    /// transformers' `canonicalize_text`: lower-case, drop `string.punctuation`, collapse `\s+`, strip.
    private func canonicalize(_ text: Substring) -> String {
        var scalars = Array(text.unicodeScalars)
        if lowercases { scalars = PythonText.lowercased(scalars) }
        var output = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in scalars where !PythonText.isASCIIPunctuation(scalar) {
            if PythonText.isSpace(scalar) {
                pendingSpace = true
                continue
            }
            if pendingSpace, !output.isEmpty { output.append(" ") }
            pendingSpace = false
            output.append(scalar)
        }
        return String(output)
    }

    private static func isReserved(_ type: SentencePieceModel.PieceType) -> Bool {
        type == .control || type == .unknown || type == .byte
    }

    /// The largest `spiece.model` read (real ones are under 5 MB).
    static let maximumModelSize = 256 << 20

    /// Reads and parses a `spiece.model` file.
    static func readModel(at url: URL) throws(TokenizerError) -> SentencePieceModel {
        let data: Data
        do {
            if let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber,
               size.intValue > maximumModelSize {
                throw TokenizerError.malformedFile(path: url.path, reason: "it is larger than \(maximumModelSize >> 20) MB")
            }
            data = try FileBytes.read(url)
        } catch let error as TokenizerError {
            throw error
        } catch {
            throw .unreadableFile(path: url.path, reason: (error as NSError).localizedDescription)
        }
        do {
            return try SentencePieceModel(serialized: [UInt8](data))
        } catch {
            throw .malformedFile(path: url.path, reason: error.description)
        }
    }
}
