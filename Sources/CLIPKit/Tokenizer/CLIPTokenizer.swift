import Foundation

// Reproduces the ids of transformers 5.23 `CLIPTokenizer` (tokenizers-backed) called with
// `truncation=True, max_length=77` (and `padding=True` for batches).

/// The byte-level BPE tokenizer of CLIP, identical in its ids to Hugging Face's `CLIPTokenizer`.
///
/// Text is split around the exact strings `<|startoftext|>` and `<|endoftext|>` (which map
/// straight to their ids), normalised (NFC, lowercase), split into words, and each word is
/// encoded with byte-level BPE. The result is wrapped in start- and end-of-text ids.
///
/// ```swift
/// let tokenizer = try CLIPTokenizer(directory: modelFolder)
/// tokenizer.encode("a photo of a cat")  // [49406, 320, 1125, 539, 320, 2368, 49407]
/// ```
///
/// Copies share one word cache; the tokenizer is safe to use from many tasks at once.
public struct CLIPTokenizer: TextTokenizer {
    /// The number of positions of CLIP's text model; encodings never exceed it.
    public static let contextLength = 77

    /// The id of `<|startoftext|>` (49406 in OpenAI's vocabulary), first in every encoding.
    public let startOfTextID: Int
    /// The id of `<|endoftext|>` (49407 in OpenAI's vocabulary): last in every encoding, and
    /// also the padding id and the id of unknown symbols.
    public let endOfTextID: Int

    private let encoder: BytePairEncoder
    private let specialTokens: SpecialTokenSplitter
    private let tokensByID: [Int: String]

    /// Loads the vocabulary (`vocab.json`) and merge list (`merges.txt`).
    ///
    /// - Throws: `TokenizerError` naming the file (and line) that is unreadable or malformed.
    public init(vocabularyURL: URL, mergesURL: URL) throws {
        let vocabulary = try TokenizerFiles.readVocabulary(at: vocabularyURL)
        guard let start = vocabulary[Self.startOfText] else {
            throw TokenizerError.missingSpecialToken(path: vocabularyURL.path, token: Self.startOfText)
        }
        guard let end = vocabulary[Self.endOfText] else {
            throw TokenizerError.missingSpecialToken(path: vocabularyURL.path, token: Self.endOfText)
        }
        let merges = try TokenizerFiles.readMerges(at: mergesURL, vocabulary: vocabulary)
        var byteIDs = [Int32](repeating: -1, count: 512)
        for (byte, scalar) in ByteEncoder.scalars.enumerated() {
            if let id = vocabulary[String(scalar)] { byteIDs[byte] = Int32(id) }
            if let id = vocabulary[String(scalar) + "</w>"] { byteIDs[256 + byte] = Int32(id) }
        }
        startOfTextID = start
        endOfTextID = end
        encoder = BytePairEncoder(merges: merges, byteIDs: byteIDs, unknownID: Int32(end))
        specialTokens = SpecialTokenSplitter(tokens: [(Self.startOfText, start), (Self.endOfText, end)])
        tokensByID = Dictionary(vocabulary.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first })
    }

    /// Loads `vocab.json` and `merges.txt` from a Hugging Face model folder.
    ///
    /// - Throws: `TokenizerError` naming the file that is missing, unreadable or malformed.
    public init(directory: URL) throws {
        try self.init(
            vocabularyURL: directory.appendingPathComponent("vocab.json"),
            mergesURL: directory.appendingPathComponent("merges.txt"))
    }

    /// The ids of `text`: start-of-text, the text's tokens, end-of-text. Text longer than
    /// `contextLength` ids is cut to fit, keeping the end-of-text id last.
    public func encode(_ text: String) -> [Int] {
        encodeReportingTruncation(text).ids
    }

    /// Like `encode(_:)`, and says whether tokens were dropped to fit `contextLength`.
    public func encodeReportingTruncation(_ text: String) -> (ids: [Int], truncated: Bool) {
        encodeReportingTruncation(text, maxLength: Self.contextLength)
    }

    /// The ids of `text` cut to at most `maxLength` ids (at least 2: start and end of text are
    /// always kept), and whether tokens were dropped.
    public func encode(_ text: String, maxLength: Int) -> TokenizedText {
        let (ids, truncated) = encodeReportingTruncation(text, maxLength: maxLength)
        return TokenizedText(ids: ids, truncated: truncated)
    }

    /// The padding id: `<|endoftext|>`, as transformers pads CLIP's batches.
    public var paddingID: Int { endOfTextID }

    /// CLIP pads on the right.
    public var paddingSide: PaddingSide { .right }

    private func encodeReportingTruncation(_ text: String, maxLength: Int) -> (ids: [Int], truncated: Bool) {
        let room = max(maxLength, 2) - 2
        var content: [Int] = []
        content.reserveCapacity(16)
        // Stop as soon as the text is known not to fit: the rest cannot change the result.
        appendContentIDs(of: text, to: &content, stopAfter: room + 1)
        let truncated = content.count > room
        var ids = [startOfTextID]
        ids.reserveCapacity(min(content.count, room) + 2)
        ids.append(contentsOf: content.prefix(room))
        ids.append(endOfTextID)
        return (ids, truncated)
    }

    /// The encodings of `texts`, each padded with the end-of-text id to the longest one (as
    /// `padding=True` does in Hugging Face).
    public func encodeBatch(_ texts: [String]) -> [[Int]] {
        let encoded = texts.map(encode)
        let longest = encoded.map(\.count).max() ?? 0
        return encoded.map { $0 + Array(repeating: endOfTextID, count: longest - $0.count) }
    }

    /// The vocabulary strings of the tokens of `text`, without start/end ids or truncation
    /// (byte-level characters, `</w>` ending a word); for debugging.
    public func tokens(_ text: String) -> [String] {
        var content: [Int] = []
        appendContentIDs(of: text, to: &content, stopAfter: .max)
        return content.map { tokensByID[$0] ?? Self.endOfText }
    }

    /// Appends the ids between the start and end tokens, stopping once there are `limit`.
    private func appendContentIDs(of text: String, to ids: inout [Int], stopAfter limit: Int) {
        var normalized: [UInt8] = []
        normalized.reserveCapacity(text.utf8.count + 16)
        var pieces: [Range<Int>] = []
        pieces.reserveCapacity(32)
        specialTokens.forEachSegment(of: text) { segment in
            switch segment {
            case .special(let id):
                ids.append(id)
            case .text(let text):
                normalized.removeAll(keepingCapacity: true)
                pieces.removeAll(keepingCapacity: true)
                Normalizer.normalize(text, into: &normalized)
                let complete = normalized.withUnsafeBufferPointer { bytes -> Bool in
                    PreTokenizer.split(bytes, into: &pieces)
                    for piece in pieces {
                        encoder.encode(UnsafeBufferPointer(rebasing: bytes[piece]), into: &ids)
                        if ids.count >= limit { return false }
                    }
                    return true
                }
                if !complete { return false }
            }
            return ids.count < limit
        }
    }

    private static let startOfText = "<|startoftext|>"
    private static let endOfText = "<|endoftext|>"
}
