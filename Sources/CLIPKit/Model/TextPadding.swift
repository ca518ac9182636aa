/// How a family's zero-shot pipeline pads token sequences before its text tower.
public enum TextPadding: Sendable, Equatable {
    /// Each sequence runs at its own length. Exact for CLIP: it pools at the end-of-text token
    /// under a causal mask, so padding after it changes nothing.
    case none
    /// Every sequence is padded to `length` ids (transformers' `padding="max_length"`) with the
    /// tokenizer's padding id on its padding side, as transformers' pipeline runs SigLIP: the
    /// tower pools the last position, which is padding for short texts. `masked`: the tokenizer
    /// returns an attention mask and the pipeline passes it, so no position attends to padding
    /// (transformers 5's tokenizers list `attention_mask` in `model_input_names`); without it
    /// every position attends to every other, padding included.
    case toLength(Int, masked: Bool)

    /// `ids` padded as this rule says with `paddingID` on `side`. Longer sequences are returned
    /// unchanged (the tokenizer truncates to the context length first).
    public func apply(to ids: [Int], paddingID: Int, side: PaddingSide) -> [Int] {
        guard case .toLength(let length, _) = self, ids.count < length else { return ids }
        let padding = Array(repeating: paddingID, count: length - ids.count)
        return side == .left ? padding + ids : ids + padding
    }
}
