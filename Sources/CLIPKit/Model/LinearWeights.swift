import CLIPKitKernels

/// A linear layer's weights in the form its ``Precision`` computes with. [output, input] in
/// PyTorch's layout before packing.
enum LinearWeights: Sendable {
    /// Used in place (BLAS). [output, input]
    case fp32(FloatStorage)
    /// fp32, packed for clipkit's own fp32 kernels (``KernelVariants/fp32Packed``).
    case packedFP32(FP32Weights)
    /// bf16, packed for the bf16 kernels, plus fp32 outlier columns.
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
    /// Input columns computed in fp32; their int8 weights are zero.
    let outliers: OutlierColumns
    /// clipkit_int8_packed_size(output, input) bytes.
    private let packed: UnsafePointer<Int8>
    /// Per output channel. [output]
    private let scales: UnsafePointer<Float>
    /// Sum of each channel's quantized weights. [output]
    private let sums: UnsafePointer<Int32>
    /// The cache file the buffers lie in, or nil when they are this object's own allocation.
    private let mapping: MappedFile?

    /// Quantizes `weight` [output, input]; `outlierColumns` (ascending) stay fp32.
    init(_ weight: FloatStorage, output: Int, input: Int, outlierColumns: [Int32]) {
        outputSize = output
        inputSize = input
        mapping = nil
        let packed = UnsafeMutablePointer<Int8>.allocate(capacity: max(1, clipkit_int8_packed_size(output, input)))
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: max(1, output))
        let sums = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, output))
        (self.packed, self.scales, self.sums) = (UnsafePointer(packed), UnsafePointer(scales), UnsafePointer(sums))
        outliers = weight.withBuffer { w in
            outlierColumns.withUnsafeBufferPointer { columns in
                // 16-row panels split over the workers (packing is most of an int8 load).
                let source = w.baseAddress
                Parallel.chunks((output + 15) / 16, grain: 4) { panels in
                    clipkit_int8_pack_rows(source, output, input, columns.baseAddress, columns.count,
                                           KernelVariants.int8WeightMax, panels.lowerBound * 16, min(output, panels.upperBound * 16),
                                           packed, scales, sums)
                }
            }
            return OutlierColumns(outlierColumns, of: w.baseAddress, output: output, input: input)
        }
    }

    /// The buffers of a cache entry (lengths as ``PackedWeightFile/bufferLengths(_:output:input:outlierCount:)``
    /// says, checked by the file), used in place; `mapping` is kept alive with them. Nil unless
    /// there are five buffers, each with an address, and the stored outlier columns are
    /// `outlierColumns`.
    init?(mapped buffers: [UnsafeRawBufferPointer], output: Int, input: Int, outlierColumns: [Int32], mapping: MappedFile) {
        guard buffers.count == 5, let packed = buffers[0].baseAddress, let scales = buffers[1].baseAddress,
              let sums = buffers[2].baseAddress,
              let outliers = OutlierColumns(mapped: buffers[3], buffers[4], columns: outlierColumns, output: output,
                                            mapping: mapping)
        else { return nil }
        outputSize = output
        inputSize = input
        self.outliers = outliers
        self.mapping = mapping
        // Every buffer starts at a 64-aligned offset of a page-aligned mapping.
        self.packed = packed.assumingMemoryBound(to: Int8.self)
        self.scales = scales.assumingMemoryBound(to: Float.self)
        self.sums = sums.assumingMemoryBound(to: Int32.self)
    }

    deinit {
        guard mapping == nil else { return }
        UnsafeMutablePointer(mutating: packed).deallocate()
        UnsafeMutablePointer(mutating: scales).deallocate()
        UnsafeMutablePointer(mutating: sums).deallocate()
    }

    /// Input columns computed in fp32, ascending.
    var outlierColumns: [Int32] { outliers.columns }

    /// Bytes held (in this process's own memory, or mapped from the cache file).
    var byteCount: Int { clipkit_int8_packed_size(outputSize, inputSize) + 8 * outputSize + outliers.byteCount }

    /// Whether the buffers lie in a packed-weight cache file.
    var isMapped: Bool { mapping != nil }

    /// The buffers in ``PackedWeightFile``'s order for an int8 entry (packed, scales, sums,
    /// outlier columns, outlier weights), valid inside `body` only.
    func withBuffers<R>(_ body: ([UnsafeRawBufferPointer]) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) {
            try outliers.withBuffers { columns, weights in
                let n = outputSize
                return try body([UnsafeRawBufferPointer(start: packed, count: clipkit_int8_packed_size(n, inputSize)),
                                 UnsafeRawBufferPointer(start: scales, count: 4 * n),
                                 UnsafeRawBufferPointer(start: sums, count: 4 * n),
                                 columns, weights])
            }
        }
    }

    /// The C view of these weights, valid while `self` lives.
    var descriptor: clipkit_int8_weights {
        clipkit_int8_weights(packed: packed, scales: scales, sums: sums, outlier_weights: outliers.packedWeights,
                             outlier_count: outliers.columns.count, n: outputSize, k: inputSize)
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

/// bf16 weights of one layer, packed once at load, or read from the packed-weight cache.
final class BF16Weights: @unchecked Sendable {
    // Sendable: the buffers are written in `init` only (or lie in a read-only mapping).

    let outputSize: Int
    let inputSize: Int
    /// Input columns computed in fp32; their bf16 weights are zero.
    let outliers: OutlierColumns
    /// clipkit_bf16_packed_count(output, input) values.
    let packed: UnsafePointer<UInt16>
    /// The cache file the buffer lies in, or nil when it is this object's own allocation.
    private let mapping: MappedFile?

    /// Packs a stored tensor [output, input]: BF16 bytes as they are, anything else through
    /// `floats` (rounded to nearest even). `outlierColumns` (ascending) stay fp32.
    init(dtype: DType, bytes: UnsafeRawBufferPointer, floats: () throws -> FloatStorage,
         output: Int, input: Int, outlierColumns: [Int32]) rethrows {
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
            outlierColumns.withUnsafeBufferPointer { columns in
                Parallel.chunks(panels, grain: 4) { range in
                    clipkit_bf16_pack_raw_rows(source, output, input, columns.baseAddress, columns.count,
                                               range.lowerBound * 16, min(output, range.upperBound * 16), packed)
                }
            }
            outliers = OutlierColumns(outlierColumns, ofBF16: source, output: output, input: input)
        } else {
            outliers = try floats().withBuffer { w in
                let source = w.baseAddress
                outlierColumns.withUnsafeBufferPointer { columns in
                    Parallel.chunks(panels, grain: 4) { range in
                        clipkit_bf16_pack_f32_rows(source, output, input, columns.baseAddress, columns.count,
                                                   range.lowerBound * 16, min(output, range.upperBound * 16), packed)
                    }
                }
                return OutlierColumns(outlierColumns, of: w.baseAddress, output: output, input: input)
            }
        }
    }

    /// The buffers of a cache entry (packed, outlier columns, outlier weights; lengths checked by
    /// the file), used in place; `mapping` is kept alive with them. Nil unless there are three
    /// buffers, the first with an address, and the stored outlier columns are `outlierColumns`.
    init?(mapped buffers: [UnsafeRawBufferPointer], output: Int, input: Int, outlierColumns: [Int32],
          mapping: MappedFile) {
        guard buffers.count == 3, let base = buffers[0].baseAddress,
              let outliers = OutlierColumns(mapped: buffers[1], buffers[2], columns: outlierColumns, output: output,
                                            mapping: mapping)
        else { return nil }
        outputSize = output
        inputSize = input
        self.outliers = outliers
        self.mapping = mapping
        // 64-aligned offset in a page-aligned mapping.
        packed = base.assumingMemoryBound(to: UInt16.self)
    }

    deinit {
        if mapping == nil { UnsafeMutablePointer(mutating: packed).deallocate() }
    }

    /// Bytes held (in this process's own memory, or mapped from the cache file).
    var byteCount: Int { 2 * clipkit_bf16_packed_count(outputSize, inputSize) + outliers.byteCount }

    /// Whether the buffers lie in a packed-weight cache file.
    var isMapped: Bool { mapping != nil }

    /// The buffers in ``PackedWeightFile``'s order for a bf16 entry (packed, outlier columns,
    /// outlier weights), valid inside `body` only.
    func withBuffers<R>(_ body: ([UnsafeRawBufferPointer]) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) {
            try outliers.withBuffers { columns, weights in
                try body([UnsafeRawBufferPointer(start: packed, count: 2 * clipkit_bf16_packed_count(outputSize, inputSize)),
                          columns, weights])
            }
        }
    }

    /// The C view of these weights, valid inside `body` only.
    func withDescriptor<R>(_ body: (UnsafePointer<clipkit_bf16_weights>) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) {
            try outliers.columns.withUnsafeBufferPointer { columns in
                var descriptor = clipkit_bf16_weights(packed: packed, outlier_columns: columns.baseAddress,
                                                      outlier_weights: outliers.packedWeights,
                                                      outlier_count: columns.count, n: outputSize, k: inputSize)
                return try body(&descriptor)
            }
        }
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
