import CLIPKitKernels

/// A linear layer's weights in the form its ``Precision`` computes with. [output, input] in
/// PyTorch's layout before packing.
enum LinearWeights: Sendable {
    /// Used in place (BLAS). [output, input]
    case fp32(FloatStorage)
    /// fp32, packed for clipkit's own fp32 kernels (``KernelVariants/fp32Packed``).
    case packedFP32(FP32Weights)
    /// bf16, packed for the bf16 kernels.
    case bf16(BF16Weights)
    /// s8 per output channel, packed for the int8 kernels, plus fp32 outlier columns.
    case int8(Int8Weights)
}

/// int8 weights of one layer, quantized and packed once at load, or read from the packed-weight
/// cache (``PackedWeightCache``).
final class Int8Weights: @unchecked Sendable {
    // Sendable: every buffer is written in `init` only (or lies in a read-only mapping).

    let outputSize: Int
    let inputSize: Int
    /// Input columns computed in fp32 (outliers), ascending; their int8 weights are zero.
    let outlierColumns: [Int32]
    /// clipkit_int8_packed_size(output, input) bytes.
    private let packed: UnsafePointer<Int8>
    /// Per output channel. [output]
    private let scales: UnsafePointer<Float>
    /// Sum of each channel's quantized weights. [output]
    private let sums: UnsafePointer<Int32>
    /// fp32 weights of the outlier columns, packed for the epilogue. [paddedOutput, outliers]
    private let outlierWeights: UnsafePointer<Float>
    /// The cache file the buffers lie in, or nil when they are this object's own allocation.
    private let mapping: MappedFile?

    /// Quantizes `weight` [output, input]; `outlierColumns` (ascending) stay fp32.
    init(_ weight: FloatStorage, output: Int, input: Int, outlierColumns: [Int32]) {
        outputSize = output
        inputSize = input
        self.outlierColumns = outlierColumns
        mapping = nil
        let packed = UnsafeMutablePointer<Int8>.allocate(capacity: max(1, clipkit_int8_packed_size(output, input)))
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: max(1, output))
        let sums = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, output))
        let outlierCount = clipkit_padded_n(output) * outlierColumns.count
        let outlierWeights = UnsafeMutablePointer<Float>.allocate(capacity: max(1, outlierCount))
        outlierWeights.initialize(repeating: 0, count: max(1, outlierCount))
        (self.packed, self.scales, self.sums, self.outlierWeights) =
            (UnsafePointer(packed), UnsafePointer(scales), UnsafePointer(sums), UnsafePointer(outlierWeights))
        weight.withBuffer { w in
            outlierColumns.withUnsafeBufferPointer { columns in
                // 16-row panels split over the workers (packing is most of an int8 load).
                let source = w.baseAddress
                Parallel.chunks((output + 15) / 16, grain: 4) { panels in
                    clipkit_int8_pack_rows(source, output, input, columns.baseAddress, columns.count,
                                           KernelVariants.int8WeightMax, panels.lowerBound * 16, min(output, panels.upperBound * 16),
                                           packed, scales, sums)
                }
                if !columns.isEmpty {
                    clipkit_pack_outlier_columns(w.baseAddress, output, input, columns.baseAddress,
                                                 columns.count, outlierWeights)
                }
            }
        }
    }

    /// The buffers of a cache entry (lengths as ``PackedWeightFile/bufferLengths(_:output:input:outlierCount:)``
    /// says, checked by the file), used in place; `mapping` is kept alive with them. Nil unless
    /// there are five buffers, each with an address.
    init?(mapped buffers: [UnsafeRawBufferPointer], output: Int, input: Int, outlierColumns: [Int32], mapping: MappedFile) {
        guard buffers.count == 5, let packed = buffers[0].baseAddress, let scales = buffers[1].baseAddress,
              let sums = buffers[2].baseAddress, let outlierWeights = buffers[4].baseAddress
        else { return nil }
        outputSize = output
        inputSize = input
        self.outlierColumns = outlierColumns
        self.mapping = mapping
        // Every buffer starts at a 64-aligned offset of a page-aligned mapping.
        self.packed = packed.assumingMemoryBound(to: Int8.self)
        self.scales = scales.assumingMemoryBound(to: Float.self)
        self.sums = sums.assumingMemoryBound(to: Int32.self)
        self.outlierWeights = outlierWeights.assumingMemoryBound(to: Float.self)
    }

    deinit {
        guard mapping == nil else { return }
        UnsafeMutablePointer(mutating: packed).deallocate()
        UnsafeMutablePointer(mutating: scales).deallocate()
        UnsafeMutablePointer(mutating: sums).deallocate()
        UnsafeMutablePointer(mutating: outlierWeights).deallocate()
    }

    /// Bytes held (in this process's own memory, or mapped from the cache file).
    var byteCount: Int {
        clipkit_int8_packed_size(outputSize, inputSize) + 8 * outputSize
            + 4 * clipkit_padded_n(outputSize) * outlierColumns.count
    }

    /// Whether the buffers lie in a packed-weight cache file.
    var isMapped: Bool { mapping != nil }

    /// The buffers in ``PackedWeightFile``'s order for an int8 entry (packed, scales, sums,
    /// outlier columns, outlier weights), valid inside `body` only.
    func withBuffers<R>(_ body: ([UnsafeRawBufferPointer]) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) {
            try outlierColumns.withUnsafeBytes { columns in
                let n = outputSize
                return try body([UnsafeRawBufferPointer(start: packed, count: clipkit_int8_packed_size(n, inputSize)),
                                 UnsafeRawBufferPointer(start: scales, count: 4 * n),
                                 UnsafeRawBufferPointer(start: sums, count: 4 * n),
                                 columns,
                                 UnsafeRawBufferPointer(start: outlierWeights, count: 4 * clipkit_padded_n(n) * outlierColumns.count)])
            }
        }
    }

    /// The C view of these weights, valid while `self` lives.
    var descriptor: clipkit_int8_weights {
        clipkit_int8_weights(packed: packed, scales: scales, sums: sums,
                             outlier_weights: outlierColumns.isEmpty ? nil : outlierWeights,
                             outlier_count: outlierColumns.count, n: outputSize, k: inputSize)
    }
}

/// fp32 weights of one layer, packed once at load into the column panels clipkit's fp32 kernels
/// stream (the weights are constants; BLAS would repack its slice of them at every product).
final class FP32Weights: @unchecked Sendable {
    // Sendable: the buffer is written in `init` only (or lies in a read-only mapping).

    let outputSize: Int
    let inputSize: Int
    /// clipkit_fp32_packed_count(output, input) floats. [paddedOutput / 32, input, 32]
    let packed: UnsafePointer<Float>
    /// The cache file the buffer lies in, or nil when it is this object's own allocation.
    private let mapping: MappedFile?

    /// Packs `weight` [output, input], the 32-column panels split over the workers (this runs
    /// for every fp32 weight at load: it is most of the load time).
    init(_ weight: FloatStorage, output: Int, input: Int) {
        outputSize = output
        inputSize = input
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: max(1, clipkit_fp32_packed_count(output, input)))
        self.packed = UnsafePointer(packed)
        mapping = nil
        weight.withBuffer { w in
            let source = w.baseAddress
            Parallel.chunks(Int(clipkit_padded_n(output)) / 32, grain: 4) { panels in
                clipkit_fp32_pack_panels(source, output, input, panels.lowerBound, panels.upperBound, packed)
            }
        }
    }

    /// A cache entry's buffer (its length checked by the file), used in place; `mapping` is kept
    /// alive with it. Nil when the buffer has no address.
    init?(mapped buffer: UnsafeRawBufferPointer, output: Int, input: Int, mapping: MappedFile) {
        guard let base = buffer.baseAddress else { return nil }
        outputSize = output
        inputSize = input
        self.mapping = mapping
        // 64-aligned offset in a page-aligned mapping.
        packed = base.assumingMemoryBound(to: Float.self)
    }

    deinit {
        if mapping == nil { UnsafeMutablePointer(mutating: packed).deallocate() }
    }

    /// Bytes held (in this process's own memory, or mapped from the cache file).
    var byteCount: Int { 4 * clipkit_fp32_packed_count(outputSize, inputSize) }

    /// Whether the buffer lies in a packed-weight cache file.
    var isMapped: Bool { mapping != nil }

    /// The packed buffer's bytes, valid inside `body` only.
    func withBuffers<R>(_ body: ([UnsafeRawBufferPointer]) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body([UnsafeRawBufferPointer(start: packed, count: byteCount)]) }
    }
}

/// bf16 weights of one layer, packed once at load.
final class BF16Weights: @unchecked Sendable {
    // Sendable: the buffer is written in `init` only (or lies in a read-only mapping).

    let outputSize: Int
    let inputSize: Int
    /// clipkit_bf16_packed_count(output, input) values.
    let packed: UnsafePointer<UInt16>
    /// The cache file the buffer lies in, or nil when it is this object's own allocation.
    private let mapping: MappedFile?

    /// Packs a stored tensor [output, input]: BF16 bytes as they are, anything else through
    /// `floats` (rounded to nearest even).
    init(dtype: DType, bytes: UnsafeRawBufferPointer, floats: () throws -> FloatStorage,
         output: Int, input: Int) rethrows {
        outputSize = output
        inputSize = input
        let packed = UnsafeMutablePointer<UInt16>.allocate(capacity: max(1, clipkit_bf16_packed_count(output, input)))
        self.packed = UnsafePointer(packed)
        mapping = nil
        let panels = (output + 15) / 16
        // 16-row panels split over the workers.
        if dtype == .bf16, let base = bytes.baseAddress {
            // allowed: little-endian hosts only (x86-64, arm64), as the rest of the loader.
            let source = base.assumingMemoryBound(to: UInt16.self)
            Parallel.chunks(panels, grain: 4) { range in
                clipkit_bf16_pack_raw_rows(source, output, input, range.lowerBound * 16,
                                           min(output, range.upperBound * 16), packed)
            }
        } else {
            try floats().withBuffer { w in
                let source = w.baseAddress
                Parallel.chunks(panels, grain: 4) { range in
                    clipkit_bf16_pack_f32_rows(source, output, input, range.lowerBound * 16,
                                               min(output, range.upperBound * 16), packed)
                }
            }
        }
    }

    /// A cache entry's buffer (its length checked by the file), used in place; `mapping` is kept
    /// alive with it. Nil when the buffer has no address.
    init?(mapped buffer: UnsafeRawBufferPointer, output: Int, input: Int, mapping: MappedFile) {
        guard let base = buffer.baseAddress else { return nil }
        outputSize = output
        inputSize = input
        self.mapping = mapping
        // 64-aligned offset in a page-aligned mapping.
        packed = base.assumingMemoryBound(to: UInt16.self)
    }

    deinit {
        if mapping == nil { UnsafeMutablePointer(mutating: packed).deallocate() }
    }

    /// Bytes held (in this process's own memory, or mapped from the cache file).
    var byteCount: Int { 2 * clipkit_bf16_packed_count(outputSize, inputSize) }

    /// Whether the buffer lies in a packed-weight cache file.
    var isMapped: Bool { mapping != nil }

    /// The packed buffer's bytes, valid inside `body` only.
    func withBuffers<R>(_ body: ([UnsafeRawBufferPointer]) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body([UnsafeRawBufferPointer(start: packed, count: byteCount)]) }
    }
}

/// Rows of activations in the form a layer's weights multiply, made by ``Linear/prepare(_:rows:workspace:)``
/// or ``LayerNorm/apply(_:rows:into:preparingFor:workspace:)``.
enum LinearInput {
    /// fp32 rows, `inputSize` floats apart.
    case fp32(UnsafePointer<Float>)
    /// fp32 rows, plus the same rounded to bf16 (rows `stride` apart) when the kernel reads those.
    case bf16(UnsafePointer<Float>, rounded: UnsafePointer<UInt16>?, stride: Int)
    /// Quantized rows in the workspace.
    case int8(clipkit_quantized_rows)
}
