/// What a ``LabelScore/score`` measures.
public enum ZeroShotScoreKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Softmax over the candidate labels of `exp(logit_scale) · cosine`: CLIP's zero-shot
    /// probability and transformers' pipeline output (the reference). The labels compete: the
    /// scores of one image sum to 1, so adding a label lowers the others.
    case softmax
    /// Cosine similarity of the normalised image and label embeddings, in [-1, 1], independent
    /// of the other labels. Typical values are small (about 0.2–0.35 for a match with OpenAI's
    /// weights) and their scale differs between models, so a threshold must be chosen per model.
    case cosine
    /// `exp(logit_scale) · cosine` (100 · cosine for OpenAI's weights): the softmax's input,
    /// independent of the other labels, with the same per-model caveat as ``cosine``.
    case logit
    /// `sigmoid(exp(logit_scale) · cosine + logit_bias)`, each label on its own: SigLIP's
    /// zero-shot probability and transformers' pipeline output for SigLIP. Labels do not
    /// compete; an image may match several or none (multi-label).
    case sigmoid
}
