/// A text as the text tower reads it: CLIP token ids, and whether the text had to be cut.
public struct TokenizedText: Sendable, Hashable {
    /// `<|startoftext|>` … `<|endoftext|>`, at most ``CLIPTokenizer/contextLength`` ids.
    public let ids: [Int]
    /// `true` when the text was longer than the context and lost its tail, as CLIP's tokenizer
    /// truncates (the end-of-text token is kept last).
    public let isTruncated: Bool

    /// Wraps ids the tokenizer produced.
    public init(ids: [Int], isTruncated: Bool) {
        self.ids = ids
        self.isTruncated = isTruncated
    }
}
