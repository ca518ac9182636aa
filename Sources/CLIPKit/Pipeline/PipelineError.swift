import Foundation

/// Why a pipeline could not be assembled or an input could not be prepared for it.
public enum PipelineError: LocalizedError, Equatable, Sendable {
    /// The preprocessor makes tensors of another shape than the vision tower reads.
    case incompatiblePreprocessor(expected: [Int], actual: [Int])
    /// The preprocessor made an image of another shape than the batch holds (a configuration
    /// without centre crop keeps each image's aspect ratio).
    case unexpectedImageShape(name: String, expected: [Int], actual: [Int])
    /// The preprocessor's settings cannot work (a zero or absurd size, a zero standard deviation...).
    case invalidPreprocessorConfig(reason: String)

    public var errorDescription: String? {
        switch self {
        case .incompatiblePreprocessor(let expected, let actual):
            return "the preprocessor makes images of shape \(actual) but the model reads \(expected) (check crop_size in preprocessor_config.json against image_size in config.json)"
        case .unexpectedImageShape(let name, let expected, let actual):
            return "\(name): preprocessing gives shape \(actual), but the model reads \(expected) (enable do_center_crop in preprocessor_config.json)"
        case .invalidPreprocessorConfig(let reason):
            return "invalid image preprocessor settings: \(reason)"
        }
    }
}
