import Foundation

/// Why a tokenizer could not be loaded from a model folder (`vocab.json` + `merges.txt`, `spiece.model`,
/// `tokenizer.json`, `tokenizer_config.json`).
public enum TokenizerError: LocalizedError, Equatable, Sendable {
    /// The file could not be read (missing, unreadable, or not UTF-8).
    case unreadableFile(path: String, reason: String)
    /// `vocab.json` is not a JSON object mapping token strings to integer ids.
    case malformedVocabulary(path: String, reason: String)
    /// A token id in `vocab.json` is negative or too large.
    case tokenIDOutOfRange(path: String, token: String, id: Int)
    /// A line of `merges.txt` is not two symbols separated by one space (`line` counts from 1).
    case malformedMerge(path: String, line: Int, text: String)
    /// A merge names a symbol, or produces a token, that `vocab.json` does not contain.
    case unknownMergeSymbol(path: String, line: Int, symbol: String)
    /// `vocab.json` lacks `<|startoftext|>` or `<|endoftext|>`.
    case missingSpecialToken(path: String, token: String)
    /// A tokenizer file (`spiece.model`, `tokenizer.json`, `tokenizer_config.json`) is malformed.
    case malformedFile(path: String, reason: String)
    /// `tokenizer.json` uses a component type clipkit does not implement (`component` is e.g.
    /// `normalizer`, `pre_tokenizer`, `model`, `post_processor`).
    case unsupportedComponent(path: String, component: String, type: String)
    /// The folder declares a tokenizer clipkit does not implement (a class, a model kind).
    case unsupportedTokenizer(path: String, reason: String)
    /// The folder has no tokenizer files clipkit can read.
    case noTokenizer(directory: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .unreadableFile(let path, let reason):
            return "Cannot read tokenizer file \(path): \(reason)."
        case .malformedVocabulary(let path, let reason):
            return "Malformed vocabulary \(path): \(reason)."
        case .tokenIDOutOfRange(let path, let token, let id):
            return "Vocabulary \(path) gives token \(token.debugDescription) the out-of-range id \(id)."
        case .malformedMerge(let path, let line, let text):
            return "Malformed merge at \(path):\(line): expected two symbols separated by one space, found \(text.debugDescription)."
        case .unknownMergeSymbol(let path, let line, let symbol):
            return "Merge at \(path):\(line) uses \(symbol.debugDescription), which is not in the vocabulary."
        case .missingSpecialToken(let path, let token):
            return "Vocabulary \(path) has no \(token) token."
        case .malformedFile(let path, let reason):
            return "Malformed tokenizer file \(path): \(reason)."
        case .unsupportedComponent(let path, let component, let type):
            return "Tokenizer \(path) uses the \(component) \(type.debugDescription), which clipkit does not support."
        case .unsupportedTokenizer(let path, let reason):
            return "Unsupported tokenizer in \(path): \(reason)."
        case .noTokenizer(let directory, let reason):
            return "No tokenizer in \(directory): \(reason)."
        }
    }
}
