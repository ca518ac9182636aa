// Port of GPT-2's `bytes_to_unicode` (openai/CLIP clip/simple_tokenizer.py, as in open_clip 3.3.0).

/// The reversible byte ↔ printable-character table of byte-level BPE.
///
/// Every UTF-8 byte is shown as one printable Unicode scalar so that vocabulary entries never
/// contain whitespace or control characters: the printable Latin-1 bytes (`!`…`~`, `¡`…`¬`,
/// `®`…`ÿ`) stand for themselves and the other 68 bytes take U+0100, U+0101, … in byte order.
enum ByteEncoder {
    /// `scalars[byte]` is the character that stands for `byte` in vocabulary entries.
    static let scalars: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var nextExtra: UInt32 = 256
        for byte in 0..<256 {
            if isPrintable(UInt8(byte)) {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                // 256 + n is always a valid scalar (below the surrogate range).
                table[byte] = Unicode.Scalar(nextExtra) ?? " "
                nextExtra += 1
            }
        }
        return table
    }()

    /// The byte that `scalar` stands for, or `nil` when it is not in the table.
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        if value < 256 {
            let byte = UInt8(value)
            return isPrintable(byte) ? byte : nil
        }
        guard value < 256 + 68 else { return nil }
        return nonPrintableBytes[Int(value - 256)]
    }

    /// Bytes that map to themselves.
    private static func isPrintable(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    /// The 68 bytes that map to U+0100 + index, in byte order.
    private static let nonPrintableBytes: [UInt8] = (0...255).map(UInt8.init).filter { !isPrintable($0) }
}
