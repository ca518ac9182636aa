import Foundation

/// Why a weights file could not be read. Every case names the file.
public enum WeightsError: LocalizedError, Equatable, Sendable {
    /// The file does not exist or cannot be opened or mapped.
    case unreadable(path: String, reason: String)
    /// The file breaks a promise of the safetensors format.
    case malformed(path: String, reason: String)
    /// A tensor uses a dtype clipkit cannot turn into `Float`.
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// A tensor that was asked for is not in the file.
    case missingTensor(path: String, tensor: String)

    public var errorDescription: String? {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read weights file \(path): \(reason)"
        case .malformed(let path, let reason):
            return "malformed safetensors file \(path): \(reason)"
        case .unsupportedDType(let path, let tensor, let dtype):
            return "unsupported dtype \(dtype) for tensor '\(tensor)' in \(path) (clipkit reads F32, F16 and BF16)"
        case .missingTensor(let path, let tensor):
            return "tensor '\(tensor)' is missing from \(path)"
        }
    }
}
