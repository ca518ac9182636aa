/// Which files of a repository a snapshot must hold.
public struct HubFileSelection: Sendable, Equatable {
    /// Groups of interchangeable files: the repository must have at least one file of each group,
    /// and every file of a group that it has is fetched.
    public var required: [[String]]
    /// Files fetched when the repository has them.
    public var optional: [String]

    public init(required: [[String]], optional: [String] = []) {
        self.required = required
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
        chosen += optional.filter(available.contains)
        return chosen
    }

    /// Whether a snapshot where `has(file)` tells which files exist is complete.
    func isSatisfied(by has: (String) -> Bool) -> Bool {
        required.allSatisfy { $0.contains(where: has) }
    }
}
