/// Little-endian integers in raw bytes, for clipkit's own cache files (``PackedWeightFile``,
/// `TextEmbeddingFile`). Callers bounds-check every offset first.
extension UnsafeRawBufferPointer {
    /// A little-endian integer at a byte offset the caller has bounds-checked.
    func le<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension UnsafeMutableRawBufferPointer {
    /// Stores `value` little-endian at a byte offset the caller has bounds-checked.
    func storeLE<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }
}
