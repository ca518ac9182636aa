import CLIPKit
import CLIPKitABI
import Foundation

/// Why a C ABI call failed: each case maps to one `clipkit_status` code.
enum ABIError: LocalizedError, Sendable {
    /// A NULL pointer, a bad count, inconsistent sizes, invalid JSON…
    case invalidArgument(String)
    /// The model could not be found or loaded.
    case model(String)
    /// An item is not a decodable image, or its pixel buffer is inconsistent.
    case image(String)
    /// The engine failed while running the model.
    case inference(String)
    /// A setting this build does not support.
    case unsupported(String)

    var errorDescription: String? {
        switch self {
        case .invalidArgument(let m), .model(let m), .image(let m), .inference(let m), .unsupported(let m): m
        }
    }

    /// The `clipkit_status` value for this error.
    var status: Int32 {
        switch self {
        case .invalidArgument: Status.invalidArgument
        case .model: Status.model
        case .image: Status.image
        case .inference: Status.inference
        case .unsupported: Status.unsupported
        }
    }

    /// Classifies any error thrown by the engine. With `loading`, every failure (a tokenizer
    /// file, a weight, a preprocessor config) maps to `model`.
    init(_ error: any Error, loading: Bool = false) {
        if let error = error as? ABIError {
            self = error
            return
        }
        let message = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
        switch error {
        case is ClassifierError: self = .invalidArgument(message)
        case is ImageError: self = .image(message)
        case _ where loading: self = .model(message)
        case is PipelineError: self = .image(message)
        default: self = .inference(message)
        }
    }
}

/// The `clipkit_status` constants of clipkit.h as `Int32`, the type every function returns.
enum Status {
    static let ok = Int32(bitPattern: CLIPKIT_OK.rawValue)
    static let invalidArgument = Int32(bitPattern: CLIPKIT_ERROR_INVALID_ARGUMENT.rawValue)
    static let model = Int32(bitPattern: CLIPKIT_ERROR_MODEL.rawValue)
    static let image = Int32(bitPattern: CLIPKIT_ERROR_IMAGE.rawValue)
    static let inference = Int32(bitPattern: CLIPKIT_ERROR_INFERENCE.rawValue)
    static let unsupported = Int32(bitPattern: CLIPKIT_ERROR_UNSUPPORTED.rawValue)
}
