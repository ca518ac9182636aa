import Foundation

// The normalizers of HF `tokenizers` 0.23 (tokenizers/src/normalizers) that Gemma-family
// tokenizer.json files use: Sequence, Replace (string pattern), Lowercase, Prepend, and the
// Unicode normal forms.

/// A `tokenizer.json` normalizer, applied to UTF-8 text.
indirect enum NormalizerComponent: Sendable {
    case sequence([NormalizerComponent])
    /// Every non-overlapping occurrence of `pattern`, left to right, becomes `content`.
    case replace(pattern: [UInt8], content: [UInt8])
    /// Rust's `char::to_lowercase` per character (full mappings, no final-sigma rule).
    case lowercase
    /// `prefix` in front of non-empty text.
    case prepend([UInt8])
    case nfc, nfd, nfkc, nfkd

    /// The normalised text.
    func apply(_ text: [UInt8]) -> [UInt8] {
        switch self {
        case .sequence(let steps):
            return steps.reduce(text) { $1.apply($0) }
        case .replace(let pattern, let content):
            return Self.replacing(pattern, with: content, in: text)
        case .lowercase:
            var output: [UInt8] = []
            output.reserveCapacity(text.count)
            for scalar in String(decoding: text, as: UTF8.self).unicodeScalars {
                if scalar.value < 0x80 {
                    let byte = UInt8(scalar.value)
                    output.append(byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte)
                } else if scalar.properties.changesWhenLowercased {
                    for lowered in scalar.properties.lowercaseMapping.unicodeScalars { UTF8.encode(lowered) { output.append($0) } }
                } else {
                    UTF8.encode(scalar) { output.append($0) }
                }
            }
            return output
        case .prepend(let prefix):
            return text.isEmpty ? text : prefix + text
        case .nfc:
            return Array(String(decoding: text, as: UTF8.self).precomposedStringWithCanonicalMapping.utf8)
        case .nfd:
            return Array(String(decoding: text, as: UTF8.self).decomposedStringWithCanonicalMapping.utf8)
        case .nfkc:
            return Array(String(decoding: text, as: UTF8.self).precomposedStringWithCompatibilityMapping.utf8)
        case .nfkd:
            return Array(String(decoding: text, as: UTF8.self).decomposedStringWithCompatibilityMapping.utf8)
        }
    }

    /// Byte-exact replacement of every non-overlapping `pattern`, scanning left to right.
    static func replacing(_ pattern: [UInt8], with content: [UInt8], in text: [UInt8]) -> [UInt8] {
        guard !pattern.isEmpty, text.count >= pattern.count else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            if text[index] == pattern[0], text.count - index >= pattern.count,
               text[index..<(index + pattern.count)].elementsEqual(pattern) {
                output.append(contentsOf: content)
                index += pattern.count
            } else {
                output.append(text[index])
                index += 1
            }
        }
        return output
    }

    /// Reads the `normalizer` object of `tokenizer.json` (nil for `null`).
    static func parse(_ node: JSONNode, path: String) throws(TokenizerError) -> NormalizerComponent? {
        if node.isNull { return nil }
        guard let type = node["type"]?.string else {
            throw .malformedFile(path: path, reason: "a normalizer has no \"type\"")
        }
        switch type {
        case "Sequence":
            guard let list = node["normalizers"]?.array else {
                throw .malformedFile(path: path, reason: "normalizer Sequence has no \"normalizers\" list")
            }
            var steps: [NormalizerComponent] = []
            for item in list {
                guard let step = try parse(item, path: path) else {
                    throw .malformedFile(path: path, reason: "normalizer Sequence contains null")
                }
                steps.append(step)
            }
            return .sequence(steps)
        case "Replace":
            guard let content = node["content"]?.stringBytes, let pattern = node["pattern"] else {
                throw .malformedFile(path: path, reason: "normalizer Replace needs \"pattern\" and \"content\"")
            }
            guard let literal = pattern["String"]?.stringBytes else {
                throw .unsupportedComponent(path: path, component: "normalizer", type: "Replace with a Regex pattern")
            }
            return .replace(pattern: literal, content: content)
        case "Lowercase": return .lowercase
        case "Prepend":
            guard let prefix = node["prepend"]?.stringBytes else {
                throw .malformedFile(path: path, reason: "normalizer Prepend has no \"prepend\" string")
            }
            return .prepend(prefix)
        case "NFC": return .nfc
        case "NFD": return .nfd
        case "NFKC": return .nfkc
        case "NFKD": return .nfkd
        default:
            throw .unsupportedComponent(path: path, component: "normalizer", type: type)
        }
    }
}
