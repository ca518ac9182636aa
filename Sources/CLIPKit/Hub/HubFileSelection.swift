/// Which files of a repository a snapshot must hold.
public struct HubFileSelection: Sendable, Equatable {
    /// Groups of interchangeable files: the repository must have at least one file of each group,
    /// and every file of a group that it has is fetched.
    public var required: [[String]]
    /// Sets of files of which the repository must hold at least one complete set (the
    /// tokenizer of one family or another); every complete set is fetched. When none is
    /// complete, the error names the files missing from a set the repository has in part.
    public var oneOf: [[String]]
    /// Files fetched when the repository has them.
    public var optional: [String]

    public init(required: [[String]], oneOf: [[String]] = [], optional: [String] = []) {
        self.required = required
        self.oneOf = oneOf
        self.optional = optional
    }

    /// What a CLIP model in Hugging Face layout needs: config, safetensors weights, the BPE
    /// vocabulary and merges, the image preprocessor config (old or new name), and the tokenizer
    /// side files when present.
    public static let clipModel = HubFileSelection(
        required: [
            ["config.json"], ["model.safetensors"], ["vocab.json"], ["merges.txt"],
            ["preprocessor_config.json", "processor_config.json"],
        ],
        optional: ["tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"])

    /// What a model of any supported ``ModelFamily`` needs: config, safetensors weights, the
    /// image preprocessor config (old or new name), and a tokenizer — CLIP's BPE vocabulary and
    /// merges, SigLIP's SentencePiece `spiece.model`, or a `tokenizer.json` (SigLIP 2's Gemma
    /// tokenizer) — with the tokenizer side files when present.
    public static let zeroShotModel = HubFileSelection(
        required: [["config.json"], ["model.safetensors"], ["preprocessor_config.json", "processor_config.json"]],
        oneOf: [["vocab.json", "merges.txt"], ["spiece.model"], ["tokenizer.json"]],
        optional: ["tokenizer_config.json", "special_tokens_map.json"])

    /// The files to fetch from a repository holding `available`.
    func files(in available: Set<String>, repo: String) throws(HubError) -> [String] {
        var chosen: [String] = []
        for group in required {
            let present = group.filter(available.contains)
            guard !present.isEmpty else {
                if group.contains("model.safetensors"), available.contains("pytorch_model.bin") {
                    throw .unsupportedWeights(repo: repo, file: "pytorch_model.bin")
                }
                throw .entryNotFound(repo: repo, file: group.joined(separator: " or "))
            }
            chosen += present
        }
        if !oneOf.isEmpty {
            let complete = oneOf.filter { $0.allSatisfy(available.contains) }
            guard !complete.isEmpty else {
                // A set the repository has in part names what it lacks (merges.txt beside vocab.json).
                if let partial = oneOf.first(where: { $0.contains(where: available.contains) }) {
                    throw .entryNotFound(repo: repo, file: partial.filter { !available.contains($0) }.joined(separator: " and "))
                }
                throw .entryNotFound(repo: repo, file: oneOf.map { $0.joined(separator: " and ") }.joined(separator: ", or "))
            }
            chosen += complete.flatMap { $0 }
        }
        chosen += optional.filter { available.contains($0) && !chosen.contains($0) }
        return chosen
    }

    /// Whether a snapshot where `has(file)` tells which files exist is complete.
    func isSatisfied(by has: (String) -> Bool) -> Bool {
        required.allSatisfy { $0.contains(where: has) }
            && (oneOf.isEmpty || oneOf.contains { $0.allSatisfy(has) })
    }
}
