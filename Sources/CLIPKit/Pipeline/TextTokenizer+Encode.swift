extension TextTokenizer {
    /// The ids of `text` with the tokenizer's special tokens, not truncated (callers that feed a
    /// text tower use ``encode(_:maxLength:)`` with its context length, as
    /// ``CLIPPipeline/tokenize(_:)`` does).
    public func encode(_ text: String) -> [Int] {
        encode(text, maxLength: Int.max).ids
    }
}
