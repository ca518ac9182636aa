import Foundation

// Mirrors the normalizer of transformers 5.23 `CLIPTokenizer` (models/clip/tokenization_clip.py):
// Sequence[NFC, Replace(\s+ → " "), Lowercase].

/// Text normalisation before splitting: Unicode NFC, then lowercasing.
///
/// Lowercasing is per scalar with the full (context-free) Unicode mapping, as Rust's
/// `char::to_lowercase` in `tokenizers`: `İ` → `i̇`, and a final `Σ` becomes `σ`, never `ς`.
/// The reference also collapses whitespace runs to one space; that step cannot change the ids,
/// because the pre-tokenizer drops every whitespace scalar, so it is skipped here.
enum Normalizer {
    /// Appends the normalised scalars of `text` to `output`.
    static func normalize(_ text: Substring, into output: inout [Unicode.Scalar]) {
        let scalars = text.unicodeScalars
        // Text whose scalars are all below U+0300 (where combining marks start) is already NFC.
        if scalars.allSatisfy({ $0.value < 0x300 }) {
            appendLowercased(scalars, to: &output)
        } else {
            let composed = String(text).precomposedStringWithCanonicalMapping
            appendLowercased(composed.unicodeScalars, to: &output)
        }
    }

    private static func appendLowercased<S: Sequence<Unicode.Scalar>>(
        _ scalars: S, to output: inout [Unicode.Scalar]
    ) {
        for scalar in scalars {
            let value = scalar.value
            if value < 0x80 {
                output.append((0x41...0x5A).contains(value) ? Unicode.Scalar(UInt8(value + 0x20)) : scalar)
            } else if scalar.properties.changesWhenLowercased {
                output.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            } else {
                output.append(scalar)
            }
        }
    }
}
