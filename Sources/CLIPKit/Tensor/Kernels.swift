import CLIPKitKernels
import Foundation

/// Element-wise and row-wise kernels of the transformer, over contiguous row-major buffers.
/// Each works in place or from one buffer into another, and allocates nothing.
enum Kernels {
    /// Layer normalisation of `rows` rows of `width`: `(x − mean) / √(var + eps) · gamma + beta`.
    /// Rows are split over the cores; the C kernel is vectorised (AVX2 where available).
    static func layerNorm(
        _ x: UnsafePointer<Float>, rows: Int, width: Int,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float,
        into out: UnsafeMutablePointer<Float>
    ) {
        Parallel.chunks(rows, grain: 64) { range in
            clipkit_layer_norm(x + range.lowerBound * width, range.count, width, gamma, beta,
                               epsilon, out + range.lowerBound * width)
        }
    }

    /// `x[r, c] = activation(x[r, c] + bias[c])` over `rows` rows of `columns`, in place;
    /// `bias` may be nil. Rows are split over the cores.
    static func activate(_ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
                         bias: UnsafePointer<Float>?, _ activation: Activation) {
        Parallel.chunks(rows, grain: 16) { range in
            let block = x + range.lowerBound * columns
            switch activation {
            case .quickGELU:
                clipkit_bias_quick_gelu(block, range.count, columns, bias)
            case .gelu:
                if let bias { clipkit_add_bias(block, range.count, columns, bias) }
                // Exact erf (libm): only LAION checkpoints use it, and no fast erf is needed yet.
                let invSqrt2: Float = 0.70710678118654752
                for i in 0..<(range.count * columns) {
                    let v = block[i]
                    block[i] = 0.5 * v * (1 + erff(v * invSqrt2))
                }
            case .geluTanh:
                clipkit_bias_gelu_tanh(block, range.count, columns, bias)
            }
        }
    }

    /// One query's attention over `count` keys and values (rows `stride` floats apart):
    /// `softmax(scale · q · kᵀ) · v`, `headSize` values into `out`. For the few rows that need
    /// it (a pooling probe, masked padding), where the blocked attention kernel does not apply.
    static func attendOneQuery(_ q: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                               stride: Int, count: Int, headSize: Int, scale: Float,
                               into out: UnsafeMutablePointer<Float>) {
        for i in 0..<headSize { out[i] = 0 }
        guard count > 0 else { return }
        var scores = [Float](repeating: 0, count: count)
        var maximum = -Float.infinity
        for j in 0..<count {
            let k = keys + j * stride
            var dot: Float = 0
            for i in 0..<headSize { dot += (q[i] * scale) * k[i] }
            scores[j] = dot
            maximum = max(maximum, dot)
        }
        var sum: Float = 0
        for j in 0..<count {
            scores[j] = expf(scores[j] - maximum)
            sum += scores[j]
        }
        for j in 0..<count {
            let weight = scores[j] / sum
            let v = values + j * stride
            for i in 0..<headSize { out[i] += weight * v[i] }
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
