// Mirrors the added-vocabulary step of `tokenizers` 0.23: special tokens (normalized: false)
// are found in the raw text before normalisation, so `<|endoftext|>` typed by a user is the
// end-of-text id, while `<|ENDOFTEXT|>` goes through BPE like any text.

/// A stretch of input text: ordinary text or one special token.
enum TextSegment {
    case text(Substring)
    case special(Int)
}

/// Finds the exact special-token strings in raw text.
struct SpecialTokenSplitter: Sendable {
    /// Each special token's UTF-8 bytes and id; all start with `<`.
    let tokens: [(bytes: [UInt8], id: Int)]

    init(tokens: [(String, Int)]) {
        self.tokens = tokens.map { (Array($0.0.utf8), $0.1) }
    }

    /// Calls `body` with each segment of `text`, in order; empty text segments are skipped.
    func forEachSegment(of text: String, _ body: (TextSegment) -> Bool) {
        let utf8 = text.utf8
        var segmentStart = utf8.startIndex
        var index = utf8.startIndex
        while let found = utf8[index...].firstIndex(of: UInt8(ascii: "<")) {
            if let (token, end) = match(in: utf8, at: found) {
                if segmentStart < found, !body(.text(text[segmentStart..<found])) { return }
                if !body(.special(token)) { return }
                segmentStart = end
                index = end
            } else {
                index = utf8.index(after: found)
            }
        }
        if segmentStart < utf8.endIndex { _ = body(.text(text[segmentStart...])) }
    }

    private func match(in utf8: String.UTF8View, at start: String.Index) -> (Int, String.Index)? {
        for token in tokens {
            var position = start
            var matched = true
            for byte in token.bytes {
                guard position < utf8.endIndex, utf8[position] == byte else {
                    matched = false
                    break
                }
                position = utf8.index(after: position)
            }
            if matched { return (token.id, position) }
        }
        return nil
    }
}
