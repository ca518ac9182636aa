/// How a family's zero-shot pipeline pads token sequences before its text tower.
public enum TextPadding: Sendable, Equatable {
    /// Each sequence runs at its own length. Exact for CLIP: it pools at the end-of-text token
    /// under a causal mask, so padding after it changes nothing.
    case none
    /// Every sequence is padded to `length` ids (transformers' `padding="max_length"`) with the
    /// tokenizer's padding id on its padding side, and the tower attends to the padding (no
    /// attention mask), as transformers' pipeline runs SigLIP: the pooled last position depends
    /// on it.
    case toLength(Int)

    /// `ids` padded as this rule says with `paddingID` on `side`. Longer sequences are returned
    /// unchanged (the tokenizer truncates to the context length first).
    public func apply(to ids: [Int], paddingID: Int, side: PaddingSide) -> [Int] {
        guard case .toLength(let length) = self, ids.count < length else { return ids }
        let padding = Array(repeating: paddingID, count: length - ids.count)
        return side == .left ? padding + ids : ids + padding
    }
}
