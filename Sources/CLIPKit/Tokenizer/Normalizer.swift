import Foundation

// Mirrors the normalizer of transformers 5.23 `CLIPTokenizer` (models/clip/tokenization_clip.py):
// Sequence[NFC, Replace(\s+ → " "), Lowercase].

/// Text normalisation before splitting: Unicode NFC, then lowercasing; the result is UTF-8.
///
/// Lowercasing is per scalar with the full (context-free) Unicode mapping, as Rust's
/// `char::to_lowercase` in `tokenizers`: `İ` → `i̇`, and a final `Σ` becomes `σ`, never `ς`.
/// The reference also collapses whitespace runs to one space; that step cannot change the ids,
/// because the pre-tokenizer drops every whitespace scalar, so it is skipped here.
enum Normalizer {
    /// Appends the UTF-8 bytes of the normalised `text` to `output`.
    static func normalize(_ text: Substring, into output: inout [UInt8]) {
        let handledAsASCII = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard !bytes.contains(where: { $0 >= 0x80 }) else { return false }
            for byte in bytes { output.append(byte &+ (byte &- 0x41 < 26 ? 0x20 : 0)) }
            return true
        }
        if handledAsASCII == true { return }
        // Text whose scalars are all below U+0300 (where combining marks start) is already NFC.
        if text.unicodeScalars.allSatisfy({ $0.value < 0x300 }) {
            appendLowercased(text.unicodeScalars, to: &output)
        } else {
            appendLowercased(String(text).precomposedStringWithCanonicalMapping.unicodeScalars, to: &output)
        }
    }

    private static func appendLowercased<S: Sequence<Unicode.Scalar>>(_ scalars: S, to output: inout [UInt8]) {
        for scalar in scalars {
            let value = scalar.value
            if value < 0x80 {
                let byte = UInt8(value)
                output.append(byte &+ (byte &- 0x41 < 26 ? 0x20 : 0))
            } else if scalar.properties.changesWhenLowercased {
                for lowered in scalar.properties.lowercaseMapping.unicodeScalars {
                    UTF8.encode(lowered) { output.append($0) }
                }
            } else {
                UTF8.encode(scalar) { output.append($0) }
            }
        }
    }
}
