/// A fully connected layer `y = x · Wᵀ + b` on BLAS (PyTorch's `nn.Linear` layout).
struct Linear: Sendable {
    /// [outputSize, inputSize]
    let weight: FloatStorage
    /// [outputSize], or nil for bias-free projections.
    let bias: FloatStorage?
    let inputSize: Int
    let outputSize: Int

    /// Loads `weight` (and `bias`) under `scope`.
    init(_ scope: WeightScope, input: Int, output: Int, hasBias: Bool = true) throws {
        weight = try scope.tensor("weight", shape: [output, input])
        bias = hasBias ? try scope.tensor("bias", shape: [output]) : nil
        inputSize = input
        outputSize = output
    }

    /// `out[rows, outputSize] = x[rows, inputSize] · Wᵀ + b`; with `accumulate`, the result is
    /// added to what `out` holds (a fused residual connection). Rows of `out` lie
    /// `outputStride` floats apart (default `outputSize`), so a layer can fill a column block of
    /// a wider buffer (Q, K and V side by side).
    func apply(_ x: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>,
               accumulate: Bool = false, outputStride: Int? = nil) {
        let stride = outputStride ?? outputSize
        var beta: Float = accumulate ? 1 : 0
        if let bias {
            // Seeding `out` with the bias lets BLAS add the product to it (beta = 1): one pass.
            for r in 0..<rows {
                let row = out + r * stride
                if accumulate {
                    for i in 0..<outputSize { row[i] += bias.pointer[i] }
                } else {
                    row.update(from: bias.pointer, count: outputSize)
                }
            }
            beta = 1
        }
        product(x, rows: rows, into: out, beta: beta, outputStride: stride)
    }

    /// `out[rows, outputSize] = x[rows, inputSize] · Wᵀ + beta · out`, the bias left to the
    /// caller (to fuse it with an activation).
    func product(_ x: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>,
                 beta: Float = 0, outputStride: Int? = nil) {
        BLAS.gemmTransposedB(m: rows, n: outputSize, k: inputSize, a: x, lda: inputSize,
                             b: weight.pointer, ldb: inputSize, beta: beta, c: out,
                             ldc: outputStride ?? outputSize)
    }
}

/// Layer normalisation with learned scale and shift.
struct LayerNorm: Sendable {
    /// [width]
    let weight: FloatStorage
    /// [width]
    let bias: FloatStorage
    let width: Int
    let epsilon: Float

    init(_ scope: WeightScope, width: Int, epsilon: Float) throws {
        weight = try scope.tensor("weight", shape: [width])
        bias = try scope.tensor("bias", shape: [width])
        self.width = width
        self.epsilon = epsilon
    }

    func apply(_ x: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>) {
        Kernels.layerNorm(x, rows: rows, width: width, gamma: weight.pointer, beta: bias.pointer,
                          epsilon: epsilon, into: out)
    }
}
