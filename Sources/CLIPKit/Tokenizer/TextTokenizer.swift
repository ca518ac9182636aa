import Foundation

/// Which end of a sequence receives padding.
public enum PaddingSide: String, Sendable, Codable {
    case left, right
}

/// The token ids of one text, ready for a text tower.
public struct TokenizedText: Sendable, Equatable {
    /// Token ids with the model's special tokens, not padded.
    public var ids: [Int]
    /// Whether content was cut to fit the maximum length.
    public var truncated: Bool

    /// Creates tokenized text from its ids.
    public init(ids: [Int], truncated: Bool) {
        self.ids = ids
        self.truncated = truncated
    }
}

/// Turns texts into the token ids a text tower reads. A tokenizer is loaded once from a model folder
/// (loading can fail); encoding never fails: every string has an encoding.
public protocol TextTokenizer: Sendable {
    /// Encodes `text`: normalised, split, mapped to ids, special tokens added, and truncated to at most
    /// `maxLength` ids with the special tokens kept (as transformers does with `truncation=True`).
    func encode(_ text: String, maxLength: Int) -> TokenizedText
    /// The id that pads sequences of a batch to one length.
    var paddingID: Int { get }
    /// Which side of a sequence padding goes on.
    var paddingSide: PaddingSide { get }
}
