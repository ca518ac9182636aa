// transformers 5.23's Python tokenizers (tokenization_python.py `tokenize`): added tokens are found in the
// raw text (`Trie.split`: the earliest match, the longest at that position) and the text next to
// a token with `lstrip`/`rstrip` loses its whitespace on that side.

/// Splits text around added tokens (such as `</s>` or `<unk>` typed by a user) as transformers'
/// Python tokenizers do.
struct AddedTokenSplitter: Sendable {
    /// A token matched verbatim in text.
    struct Token: Sendable, Equatable {
        var content: String
        var id: Int
        /// Strip whitespace from the text before it.
        var lstrip: Bool
        /// Strip whitespace from the text after it.
        var rstrip: Bool
        /// Whether it is one of the tokenizer's special tokens (`all_special_tokens`).
        var special: Bool
    }

    /// A stretch of text, or one added token.
    enum Segment {
        case text(Substring)
        case token(Token)
    }

    /// Which characters `lstrip`/`rstrip` remove.
    enum Whitespace: Sendable {
        /// Python's `str.isspace` (transformers' Python tokenizers).
        case python
        /// Rust's `char::is_whitespace` (HF `tokenizers`): Python's set without U+001C…U+001F.
        case rust
    }

    /// Longest first, so that the first match at a position is the longest.
    private let tokens: [(bytes: [UInt8], token: Token)]
    private let whitespace: Whitespace

    init(tokens: [Token], whitespace: Whitespace = .python) {
        self.tokens = tokens.filter { !$0.content.isEmpty }
            .map { (Array($0.content.utf8), $0) }
            .sorted { $0.bytes.count > $1.bytes.count }
        self.whitespace = whitespace
    }

    /// Whether the splitter has no tokens to find.
    var isEmpty: Bool { tokens.isEmpty }

    private func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        PythonText.isSpace(scalar) && (whitespace == .python || !(0x1C...0x1F).contains(scalar.value))
    }

    /// The segments of `text` in order, empty text segments left out.
    func segments(of text: String) -> [Segment] {
        var segments: [Segment] = []
        let utf8 = text.utf8
        var segmentStart = utf8.startIndex
        var index = utf8.startIndex
        if !tokens.isEmpty {
            while index < utf8.endIndex {
                if let (token, end) = match(in: utf8, at: index) {
                    segments.append(.text(text[segmentStart..<index]))
                    segments.append(.token(token))
                    segmentStart = end
                    index = end
                } else {
                    index = utf8.index(after: index)
                }
            }
        }
        segments.append(.text(text[segmentStart...]))
        // lstrip/rstrip act on the neighbours in order, as transformers' loop does.
        for position in segments.indices {
            guard case .token(let token) = segments[position] else { continue }
            if token.rstrip, position + 1 < segments.count, case .text(let right) = segments[position + 1] {
                segments[position + 1] = .text(strippingLeadingWhitespace(right))
            }
            if token.lstrip, position > 0, case .text(let left) = segments[position - 1] {
                segments[position - 1] = .text(strippingTrailingWhitespace(left))
            }
        }
        return segments.filter {
            if case .text(let stretch) = $0 { return !stretch.isEmpty }
            return true
        }
    }

    private func match(in utf8: String.UTF8View, at start: String.Index) -> (Token, String.Index)? {
        let first = utf8[start]
        for (bytes, token) in tokens where bytes[0] == first {
            var position = start
            var matched = true
            for byte in bytes {
                guard position < utf8.endIndex, utf8[position] == byte else {
                    matched = false
                    break
                }
                position = utf8.index(after: position)
            }
            if matched { return (token, position) }
        }
        return nil
    }

    private func strippingLeadingWhitespace(_ text: Substring) -> Substring {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }) else { return text[text.endIndex...] }
        return Substring(scalars[first...])
    }

    private func strippingTrailingWhitespace(_ text: Substring) -> Substring {
        let scalars = text.unicodeScalars
        guard let last = scalars.lastIndex(where: { !isSpace($0) }) else { return text[text.startIndex..<text.startIndex] }
        return Substring(scalars[...last])
    }
}
