import CLIPKitKernels

/// The input columns a reduced-precision (int8 or bf16) layer computes in fp32, with their fp32
/// weights packed for the kernels' epilogue (`clipkit_pack_outlier_columns`). The layer's packed
/// low-precision weights are zero in these columns. CLIP ViTs have a few layer-norm channels far
/// larger than the rest (``LayerNorm/outlierColumns()``); in int8 one of them would set every
/// token's quantization step, in bf16 its rounded weights carry most of a layer's error.
final class OutlierColumns: @unchecked Sendable {
    // Sendable: the buffer is written in `init` only (or lies in a read-only mapping).

    /// Ascending input columns.
    let columns: [Int32]
    let outputSize: Int
    /// [paddedOutput / 32, columns.count, 32]; nil when there are no columns.
    private let weights: UnsafePointer<Float>?
    /// The cache file the buffer lies in, or nil when it is this object's own allocation.
    private let mapping: MappedFile?

    private init(columns: [Int32], outputSize: Int, weights: UnsafePointer<Float>?, mapping: MappedFile?) {
        self.columns = columns
        self.outputSize = outputSize
        self.weights = weights
        self.mapping = mapping
    }

    /// Packs `columns` (ascending, each below `input`) of the fp32 weights `weight` [output, input].
    convenience init(_ columns: [Int32], of weight: UnsafePointer<Float>?, output: Int, input: Int) {
        self.init(columns, output: output) { clipkit_pack_outlier_columns(weight, output, input, $0, columns.count, $1) }
    }

    /// Packs `columns` (ascending, each below `input`) of raw little-endian bf16 weights
    /// `weight` [output, input] (widened exactly).
    convenience init(_ columns: [Int32], ofBF16 weight: UnsafePointer<UInt16>?, output: Int, input: Int) {
        self.init(columns, output: output) { clipkit_pack_outlier_columns_bf16(weight, output, input, $0, columns.count, $1) }
    }

    /// `pack(columns, buffer)` fills the packed buffer (zeroed first).
    private convenience init(_ columns: [Int32], output: Int,
                             pack: (UnsafePointer<Int32>?, UnsafeMutablePointer<Float>) -> Void) {
        guard !columns.isEmpty else {
            self.init(columns: [], outputSize: output, weights: nil, mapping: nil)
            return
        }
        let count = clipkit_padded_n(output) * columns.count
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
        buffer.initialize(repeating: 0, count: count)
        columns.withUnsafeBufferPointer { pack($0.baseAddress, buffer) }
        self.init(columns: columns, outputSize: output, weights: UnsafePointer(buffer), mapping: nil)
    }

    /// The columns of a cache entry: `storedColumns` (i32, little-endian) must equal `columns`,
    /// `storedWeights` is used in place and `mapping` kept alive with it. Nil when the stored
    /// columns differ or the buffer has no address.
    convenience init?(mapped storedColumns: UnsafeRawBufferPointer, _ storedWeights: UnsafeRawBufferPointer,
                      columns: [Int32], output: Int, mapping: MappedFile) {
        guard storedColumns.count == 4 * columns.count,
              columns.enumerated().allSatisfy({ i, column in
                  Int32(littleEndian: storedColumns.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) == column
              })
        else { return nil }
        guard !columns.isEmpty else {
            self.init(columns: [], outputSize: output, weights: nil, mapping: nil)
            return
        }
        // A 64-aligned offset in a page-aligned mapping.
        guard let base = storedWeights.baseAddress else { return nil }
        self.init(columns: columns, outputSize: output, weights: base.assumingMemoryBound(to: Float.self), mapping: mapping)
    }

    deinit {
        if mapping == nil, let weights { UnsafeMutablePointer(mutating: weights).deallocate() }
    }

    /// Bytes of fp32 weights held.
    var byteCount: Int { 4 * clipkit_padded_n(outputSize) * columns.count }

    /// The packed fp32 weights for the kernels (nil without columns), valid while `self` lives.
    var packedWeights: UnsafePointer<Float>? { weights }

    /// The two buffers a cache entry stores (columns as i32, packed fp32 weights), valid inside
    /// `body` only.
    func withBuffers<R>(_ body: (_ columns: UnsafeRawBufferPointer, _ weights: UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) {
            try columns.withUnsafeBytes { stored in
                try body(stored, UnsafeRawBufferPointer(start: weights, count: weights == nil ? 0 : byteCount))
            }
        }
    }
}
