import Foundation

/// Why a model folder could not be loaded or an input could not be run.
public enum ModelError: LocalizedError, Equatable, Sendable {
    /// A file the model needs is not there.
    case missingFile(path: String)
    /// `config.json` is unreadable JSON or describes an impossible model.
    case invalidConfiguration(path: String, reason: String)
    /// The checkpoint lacks a tensor the model needs.
    case missingWeight(path: String, key: String)
    /// The checkpoint holds tensors the model does not use.
    case unexpectedWeights(path: String, keys: [String])
    /// A tensor's shape disagrees with the configuration.
    case shapeMismatch(path: String, key: String, expected: [Int], actual: [Int])
    /// An input the towers cannot run (wrong pixel shape, token id out of range...).
    case invalidInput(reason: String)
    /// `config.json` names a model family or architecture clipkit does not run.
    case unsupportedFamily(path: String, name: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .missingFile(let path):
            return "model file not found: \(path)"
        case .invalidConfiguration(let path, let reason):
            return "invalid model configuration \(path): \(reason)"
        case .missingWeight(let path, let key):
            return "weight '\(key)' is missing from \(path)"
        case .unexpectedWeights(let path, let keys):
            let shown = keys.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
            return "\(path) has \(keys.count) unexpected weight(s): \(shown)\(keys.count > 5 ? ", …" : "")"
        case .shapeMismatch(let path, let key, let expected, let actual):
            return "weight '\(key)' in \(path) has shape \(actual), expected \(expected)"
        case .invalidInput(let reason):
            return "invalid model input: \(reason)"
        case .unsupportedFamily(let path, let name, let reason):
            return "\(path) describes a '\(name)' model, which clipkit does not run: \(reason)"
        }
    }
}
