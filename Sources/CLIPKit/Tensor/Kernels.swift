import Foundation

/// Element-wise and row-wise kernels of the transformer, over contiguous row-major buffers.
/// Each works in place or from one buffer into another, and allocates nothing.
enum Kernels {
    /// Layer normalisation of `rows` rows of `width`: `(x − mean) / √(var + eps) · gamma + beta`.
    static func layerNorm(
        _ x: UnsafePointer<Float>, rows: Int, width: Int,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float,
        into out: UnsafeMutablePointer<Float>
    ) {
        let n = Float(width)
        for r in 0..<rows {
            let src = x + r * width
            let dst = out + r * width
            var sum: Float = 0
            for i in 0..<width { sum += src[i] }
            let mean = sum / n
            var squares: Float = 0
            for i in 0..<width {
                let d = src[i] - mean
                squares += d * d
            }
            let inverse = 1 / (squares / n + epsilon).squareRoot()
            for i in 0..<width { dst[i] = (src[i] - mean) * inverse * gamma[i] + beta[i] }
        }
    }

    /// Applies `activation` to `count` elements in place.
    static func activate(_ x: UnsafeMutablePointer<Float>, count: Int, _ activation: Activation) {
        switch activation {
        case .quickGELU:
            for i in 0..<count {
                let v = x[i]
                x[i] = v / (1 + expf(-1.702 * v))
            }
        case .gelu:
            let invSqrt2: Float = 0.70710678118654752
            for i in 0..<count {
                let v = x[i]
                x[i] = 0.5 * v * (1 + erff(v * invSqrt2))
            }
        }
    }

    /// Softmax over the first `count` elements of a row, in place.
    static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) {
        var maximum = -Float.infinity
        for i in 0..<count where row[i] > maximum { maximum = row[i] }
        var sum: Float = 0
        for i in 0..<count {
            let e = expf(row[i] - maximum)
            row[i] = e
            sum += e
        }
        let inverse = 1 / sum
        for i in 0..<count { row[i] *= inverse }
    }

    /// Scales each of `rows` rows of `width` to unit L2 norm, in place. Zero rows stay zero.
    static func l2Normalize(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        for r in 0..<rows {
            let row = x + r * width
            var squares: Float = 0
            for i in 0..<width { squares += row[i] * row[i] }
            guard squares > 0 else { continue }
            let inverse = 1 / squares.squareRoot()
            for i in 0..<width { row[i] *= inverse }
        }
    }

    /// Copies a `width`-element vector into each of `rows` rows.
    static func broadcastRows(_ vector: UnsafePointer<Float>, rows: Int, width: Int,
                              into out: UnsafeMutablePointer<Float>, stride: Int) {
        for r in 0..<rows { (out + r * stride).update(from: vector, count: width) }
    }
}
