/// A lookup table (`token_embedding.weight`) read row by row: F32 checkpoints are used in place,
/// F16 and BF16 ones too, each looked-up row widened to fp32 when read. Widening either format
/// is exact, so this changes no result; it keeps a half-precision checkpoint's 50 MB table
/// (ViT-B/32) at its size instead of a 100 MB fp32 copy, and only the rows used are ever read.
struct EmbeddingTable: Sendable {
    private enum Storage: @unchecked Sendable {
        // Sendable: read-only views into the mapped file, which `owner` keeps alive.
        case fp32(FloatStorage)
        case half(UnsafeRawPointer, bfloat: Bool, owner: SafeTensorsFile)
    }

    private let storage: Storage
    /// Values per row.
    let width: Int

    /// The table `weight` [rows, width] under `scope`.
    init(_ scope: WeightScope, rows: Int, width: Int) throws {
        let stored = try scope.storedTensor("weight", shape: [rows, width])
        if (stored.dtype == .bf16 || stored.dtype == .f16), let base = stored.bytes.baseAddress {
            storage = .half(base, bfloat: stored.dtype == .bf16, owner: scope.loader.file)
        } else {
            storage = .fp32(try scope.tensor("weight", shape: [rows, width]))
        }
        self.width = width
    }

    /// `out[i] = table[row][i] + addend[i]` for the `width` values of `row` (in range: the
    /// caller validated the ids).
    func add(row: Int, to addend: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        switch storage {
        case .fp32(let table):
            let source = table.pointer + row * width
            for i in 0..<width { out[i] = source[i] + addend[i] }
        case .half(let base, let bfloat, _):
            let offset = 2 * row * width
            for i in 0..<width {
                let bits = UInt16(littleEndian: base.loadUnaligned(fromByteOffset: offset + 2 * i, as: UInt16.self))
                let value = bfloat ? Float(bitPattern: UInt32(bits) << 16) : Float(Float16(bitPattern: bits))
                out[i] = value + addend[i]
            }
        }
    }
}
