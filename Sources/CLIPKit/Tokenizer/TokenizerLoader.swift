import Foundation

/// Loads the tokenizer a model folder declares, as transformers' `AutoTokenizer` would pick it.
///
/// `tokenizer_config.json`'s `tokenizer_class` decides (a `…Fast` suffix is ignored):
/// `CLIPTokenizer` reads `vocab.json` + `merges.txt`; `SiglipTokenizer` reads `spiece.model`;
/// `Siglip2Tokenizer` and `GemmaTokenizer` read `tokenizer.json` as transformers rebuilds them, and
/// `PreTrainedTokenizerFast`/`TokenizersBackend` run `tokenizer.json` as it is (see ``TokenizerPipeline``).
/// Without a class, the files present decide: `spiece.model`, then `tokenizer.json`, then
/// `vocab.json` + `merges.txt`.
public enum TokenizerLoader {
    /// The tokenizer of the model folder at `directory`.
    ///
    /// - Throws: `TokenizerError` naming the folder or file and what is wrong with it.
    public static func load(directory: URL) throws -> any TextTokenizer {
        let configuration = try TokenizerConfiguration.read(directory: directory)
        let configurationPath = directory.appendingPathComponent("tokenizer_config.json").path
        func has(_ name: String) -> Bool {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path)
        }
        var className = configuration?.tokenizerClass
        if let name = className, name.hasSuffix("Fast") { className = String(name.dropLast(4)) }
        switch className {
        case "SiglipTokenizer"?:
            return try SiglipTokenizer(
                modelURL: try required("spiece.model", in: directory, for: "SiglipTokenizer"),
                configuration: configuration)
        case "Siglip2Tokenizer"?, "GemmaTokenizer"?:
            return try TokenizerPipeline(
                fileURL: try required("tokenizer.json", in: directory, for: className ?? ""),
                configuration: configuration, className: className)
        case "PreTrainedTokenizer"?, "TokenizersBackend"?:
            return try TokenizerPipeline(
                fileURL: try required("tokenizer.json", in: directory, for: className ?? ""),
                configuration: configuration, className: nil)
        case "CLIPTokenizer"?:
            _ = try required("vocab.json", in: directory, for: "CLIPTokenizer")
            _ = try required("merges.txt", in: directory, for: "CLIPTokenizer")
            return try CLIPTokenizer(directory: directory)
        case let name?:
            throw TokenizerError.unsupportedTokenizer(
                path: configurationPath,
                reason: "tokenizer_class \(name.debugDescription) is not one of SiglipTokenizer, Siglip2Tokenizer, "
                    + "GemmaTokenizer, CLIPTokenizer, PreTrainedTokenizerFast")
        case nil:
            if has("spiece.model") {
                return try SiglipTokenizer(modelURL: directory.appendingPathComponent("spiece.model"), configuration: configuration)
            }
            if has("tokenizer.json") {
                return try TokenizerPipeline(
                    fileURL: directory.appendingPathComponent("tokenizer.json"), configuration: configuration, className: nil)
            }
            if has("vocab.json"), has("merges.txt") { return try CLIPTokenizer(directory: directory) }
            throw TokenizerError.noTokenizer(
                directory: directory.path,
                reason: "it has none of spiece.model, tokenizer.json, or vocab.json with merges.txt")
        }
    }

    private static func required(_ name: String, in directory: URL, for className: String) throws(TokenizerError) -> URL {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw .noTokenizer(directory: directory.path, reason: "tokenizer_config.json names \(className), which needs \(name)")
        }
        return url
    }
}
