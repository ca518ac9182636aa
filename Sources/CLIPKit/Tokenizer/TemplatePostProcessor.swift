// HF `tokenizers` 0.23 `TemplateProcessing` (tokenizers/src/processors/template.rs), single sequences.

/// Adds special tokens around a sequence as a `TemplateProcessing` post-processor says.
struct TemplatePostProcessor: Sendable {
    /// The ids before and after the sequence `$A`.
    let prefix: [Int]
    let suffix: [Int]

    /// How many ids the template adds (what truncation keeps room for).
    var addedCount: Int { prefix.count + suffix.count }

    init(prefix: [Int], suffix: [Int]) {
        self.prefix = prefix
        self.suffix = suffix
    }

    /// Reads the `post_processor` object of `tokenizer.json` (nil for `null`).
    static func parse(_ node: JSONNode, path: String) throws(TokenizerError) -> TemplatePostProcessor? {
        if node.isNull { return nil }
        guard let type = node["type"]?.string else {
            throw .malformedFile(path: path, reason: "the post_processor has no \"type\"")
        }
        guard type == "TemplateProcessing" else {
            throw .unsupportedComponent(path: path, component: "post_processor", type: type)
        }
        guard let single = node["single"]?.array, case .object(let specials)? = node["special_tokens"] else {
            throw .malformedFile(path: path, reason: "TemplateProcessing needs \"single\" and \"special_tokens\"")
        }
        var specialIDs: [[UInt8]: [Int]] = [:]
        for (name, entry) in specials {
            guard let list = entry["ids"]?.array else {
                throw .malformedFile(path: path, reason: "TemplateProcessing special token without \"ids\"")
            }
            var ids: [Int] = []
            for item in list {
                guard let id = item.integer(in: 0...Int(Int32.max)) else {
                    throw .malformedFile(path: path, reason: "TemplateProcessing special token id out of range")
                }
                ids.append(id)
            }
            specialIDs[name] = ids
        }
        var prefix: [Int] = []
        var suffix: [Int] = []
        var sawSequence = false
        for item in single {
            if let special = item["SpecialToken"] {
                guard let name = special["id"]?.stringBytes, let ids = specialIDs[name] else {
                    throw .malformedFile(path: path, reason: "TemplateProcessing uses a special token it does not define")
                }
                if sawSequence { suffix += ids } else { prefix += ids }
            } else if let sequence = item["Sequence"] {
                guard sequence["id"]?.string == "A", !sawSequence else {
                    throw .unsupportedComponent(path: path, component: "post_processor", type: "TemplateProcessing with a single template other than one $A")
                }
                sawSequence = true
            } else {
                throw .malformedFile(path: path, reason: "TemplateProcessing item is neither SpecialToken nor Sequence")
            }
        }
        guard sawSequence else {
            throw .malformedFile(path: path, reason: "TemplateProcessing's single template has no $A")
        }
        return TemplatePostProcessor(prefix: prefix, suffix: suffix)
    }
}
