// The pre-tokenizers of HF `tokenizers` 0.23 (tokenizers/src/pre_tokenizers: split.rs, metaspace.rs,
// sequence.rs; the split behaviours of tokenizer/normalizer.rs) that Gemma-family files use.

/// A `tokenizer.json` pre-tokenizer: splits normalised text into the pieces the model encodes.
indirect enum PreTokenizerComponent: Sendable {
    /// `SplitDelimiterBehavior`.
    enum Behavior: String, Sendable {
        case removed = "Removed", isolated = "Isolated", mergedWithPrevious = "MergedWithPrevious"
        case mergedWithNext = "MergedWithNext", contiguous = "Contiguous"
    }

    /// Metaspace's `prepend_scheme`.
    enum PrependScheme: String, Sendable {
        case always, first, never
    }

    case sequence([PreTokenizerComponent])
    /// Split at every occurrence of a literal string.
    case split(pattern: [UInt8], behavior: Behavior)
    /// Spaces become `replacement`, which is put in front (per scheme) and split before.
    case metaspace(replacement: [UInt8], prependScheme: PrependScheme, split: Bool)

    /// A piece of text; `isAtStart` marks the piece that begins the input (for `first`).
    struct Piece {
        var bytes: [UInt8]
        var isAtStart: Bool
    }

    /// The pieces after this pre-tokenizer, empty ones dropped.
    func apply(_ pieces: [Piece]) -> [Piece] {
        switch self {
        case .sequence(let steps):
            return steps.reduce(pieces) { $1.apply($0) }
        case .split(let pattern, let behavior):
            return pieces.flatMap { Self.split($0, at: pattern, behavior: behavior) }
        case .metaspace(let replacement, let scheme, let split):
            return pieces.flatMap { piece -> [Piece] in
                var bytes = NormalizerComponent.replacing([UInt8(ascii: " ")], with: replacement, in: piece.bytes)
                let prepend: Bool
                switch scheme {
                case .always: prepend = !bytes.starts(with: replacement)
                case .first: prepend = !bytes.starts(with: replacement) && piece.isAtStart
                case .never: prepend = false
                }
                if prepend { bytes = replacement + bytes }
                let replaced = Piece(bytes: bytes, isAtStart: piece.isAtStart)
                return split ? Self.split(replaced, at: replacement, behavior: .mergedWithNext) : [replaced]
            }
        }
    }

    private static func split(_ piece: Piece, at pattern: [UInt8], behavior: Behavior) -> [Piece] {
        let text = piece.bytes
        guard !pattern.isEmpty else { return text.isEmpty ? [] : [piece] }
        // Alternating stretches: (range, isMatch), as `Pattern::find_matches` gives them.
        var stretches: [(range: Range<Int>, isMatch: Bool)] = []
        var previous = 0
        var index = 0
        while index + pattern.count <= text.count {
            if text[index..<(index + pattern.count)].elementsEqual(pattern) {
                if previous != index { stretches.append((previous..<index, false)) }
                stretches.append((index..<(index + pattern.count), true))
                index += pattern.count
                previous = index
            } else {
                index += 1
            }
        }
        if previous != text.count { stretches.append((previous..<text.count, false)) }

        var ranges: [Range<Int>] = []
        var previousIsMatch = false
        switch behavior {
        case .removed:
            ranges = stretches.filter { !$0.isMatch }.map(\.range)
        case .isolated:
            ranges = stretches.map(\.range)
        case .mergedWithPrevious:
            for stretch in stretches {
                if stretch.isMatch, !previousIsMatch, let last = ranges.last {
                    ranges[ranges.count - 1] = last.lowerBound..<stretch.range.upperBound
                } else {
                    ranges.append(stretch.range)
                }
                previousIsMatch = stretch.isMatch
            }
        case .mergedWithNext:
            for stretch in stretches.reversed() {
                if stretch.isMatch, !previousIsMatch, let last = ranges.last {
                    ranges[ranges.count - 1] = stretch.range.lowerBound..<last.upperBound
                } else {
                    ranges.append(stretch.range)
                }
                previousIsMatch = stretch.isMatch
            }
            ranges.reverse()
        case .contiguous:
            for stretch in stretches {
                if stretch.isMatch == previousIsMatch, let last = ranges.last {
                    ranges[ranges.count - 1] = last.lowerBound..<stretch.range.upperBound
                } else {
                    ranges.append(stretch.range)
                }
                previousIsMatch = stretch.isMatch
            }
        }
        return ranges.filter { !$0.isEmpty }.map {
            Piece(bytes: Array(text[$0]), isAtStart: piece.isAtStart && $0.lowerBound == 0)
        }
    }

    /// Reads the `pre_tokenizer` object of `tokenizer.json` (nil for `null`).
    static func parse(_ node: JSONNode, path: String) throws(TokenizerError) -> PreTokenizerComponent? {
        if node.isNull { return nil }
        guard let type = node["type"]?.string else {
            throw .malformedFile(path: path, reason: "a pre_tokenizer has no \"type\"")
        }
        switch type {
        case "Sequence":
            guard let list = node["pretokenizers"]?.array else {
                throw .malformedFile(path: path, reason: "pre_tokenizer Sequence has no \"pretokenizers\" list")
            }
            var steps: [PreTokenizerComponent] = []
            for item in list {
                guard let step = try parse(item, path: path) else {
                    throw .malformedFile(path: path, reason: "pre_tokenizer Sequence contains null")
                }
                steps.append(step)
            }
            return .sequence(steps)
        case "Split":
            guard let pattern = node["pattern"], let behaviorName = node["behavior"]?.string else {
                throw .malformedFile(path: path, reason: "pre_tokenizer Split needs \"pattern\" and \"behavior\"")
            }
            guard let literal = pattern["String"]?.stringBytes else {
                throw .unsupportedComponent(path: path, component: "pre_tokenizer", type: "Split with a Regex pattern")
            }
            guard node["invert"]?.bool != true else {
                throw .unsupportedComponent(path: path, component: "pre_tokenizer", type: "Split with invert")
            }
            guard let behavior = Behavior(rawValue: behaviorName) else {
                throw .malformedFile(path: path, reason: "pre_tokenizer Split has the unknown behavior \(behaviorName.debugDescription)")
            }
            return .split(pattern: literal, behavior: behavior)
        case "Metaspace":
            guard let replacement = node["replacement"]?.stringBytes, !replacement.isEmpty else {
                throw .malformedFile(path: path, reason: "pre_tokenizer Metaspace has no \"replacement\"")
            }
            let schemeName = node["prepend_scheme"]?.string ?? (node["add_prefix_space"]?.bool == false ? "never" : "always")
            guard let scheme = PrependScheme(rawValue: schemeName) else {
                throw .malformedFile(path: path, reason: "pre_tokenizer Metaspace has the unknown prepend_scheme \(schemeName.debugDescription)")
            }
            return .metaspace(replacement: replacement, prependScheme: scheme, split: node["split"]?.bool ?? true)
        default:
            throw .unsupportedComponent(path: path, component: "pre_tokenizer", type: type)
        }
    }
}
