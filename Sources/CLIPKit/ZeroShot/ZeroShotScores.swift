import Foundation

/// Zero-shot scoring: cosine similarities of L2-normalised embeddings, multiplied by
/// `exp(logit_scale)` plus `logit_bias` (SigLIP; 0 for CLIP), then a softmax over the labels of
/// each image (CLIP) or a sigmoid per label (SigLIP).
public enum ZeroShotScores {
    /// Each row scaled to unit length. [rows, width] → [rows, width]
    public static func normalized(_ embeddings: Tensor) -> Tensor {
        var out = embeddings
        guard out.rank == 2, out.count > 0 else { return out }
        let (rows, width) = (out.shape[0], out.shape[1])
        out.scalars.withUnsafeMutableBufferPointer { Kernels.l2Normalize($0.baseAddress!, rows: rows, width: width) }
        return out
    }

    /// `logits_per_image`: `exp(logitScale) · normalize(images) · normalize(texts)ᵀ + logitBias`.
    /// images [m, d], texts [n, d] → [m, n]
    public static func logits(images: Tensor, texts: Tensor, logitScale: Float, logitBias: Float = 0) -> Tensor {
        let m = images.shape.first ?? 0
        let n = texts.shape.first ?? 0
        var out = Tensor(zeros: [m, n])
        guard m > 0, n > 0, images.rank == 2, texts.rank == 2, images.shape[1] == texts.shape[1] else { return out }
        let d = images.shape[1]
        let a = normalized(images)
        let b = normalized(texts)
        a.scalars.withUnsafeBufferPointer { pa in
            b.scalars.withUnsafeBufferPointer { pb in
                out.scalars.withUnsafeMutableBufferPointer { pc in
                    BLAS.gemmTransposedB(m: m, n: n, k: d, alpha: expf(logitScale), a: pa.baseAddress!, lda: d,
                                         b: pb.baseAddress!, ldb: d, beta: 0, c: pc.baseAddress!, ldc: n)
                }
            }
        }
        if logitBias != 0 {
            for i in out.scalars.indices { out.scalars[i] += logitBias }
        }
        return out
    }

    /// Scores of one kind (see ``ZeroShotScoreKind``) of images [m, d] against texts [n, d],
    /// neither needing to be normalised: cosines, the logits `exp(logitScale) · cosine +
    /// logitBias`, their softmax over each row, or their sigmoid. → [m, n]
    public static func scores(images: Tensor, texts: Tensor, logitScale: Float, logitBias: Float = 0,
                              kind: ZeroShotScoreKind) -> Tensor {
        switch kind {
        case .softmax:
            return probabilities(logits: logits(images: images, texts: texts, logitScale: logitScale, logitBias: logitBias))
        case .sigmoid:
            return sigmoid(logits(images: images, texts: texts, logitScale: logitScale, logitBias: logitBias))
        case .logit:
            return logits(images: images, texts: texts, logitScale: logitScale, logitBias: logitBias)
        case .cosine:
            return logits(images: images, texts: texts, logitScale: 0)  // exp(0) = 1, no bias
        }
    }

    /// `1 / (1 + exp(−x))` of every element. [m, n] → [m, n]
    public static func sigmoid(_ logits: Tensor) -> Tensor {
        var out = logits
        for i in out.scalars.indices { out.scalars[i] = 1 / (1 + expf(-out.scalars[i])) }
        return out
    }

    /// Softmax over each row (labels) of `logits`. [m, n] → [m, n]
    public static func probabilities(logits: Tensor) -> Tensor {
        var out = logits
        guard out.rank == 2, out.count > 0 else { return out }
        let (rows, width) = (out.shape[0], out.shape[1])
        out.scalars.withUnsafeMutableBufferPointer { p in
            for r in 0..<rows { Kernels.softmax(p.baseAddress! + r * width, count: width) }
        }
        return out
    }
}
