import Foundation

/// Why an image could not be decoded. Every case names the file (its path or the name given
/// to ``ImageDecoder/decode(_:name:options:)``).
public enum ImageError: LocalizedError, Equatable, Sendable {
    /// The file could not be read from disk.
    case unreadable(path: String, reason: String)
    /// The file has no bytes.
    case empty(file: String)
    /// The data ends before the image does.
    case truncated(file: String)
    /// The leading bytes match none of JPEG, PNG, GIF, BMP or WebP.
    case unsupportedFormat(file: String)
    /// A recognised format using a feature clipkit does not decode (e.g. 12-bit JPEG, BMP RLE).
    case unsupportedFeature(file: String, feature: String)
    /// The data is malformed.
    case corrupt(file: String, reason: String)
    /// The header declares a zero width or height.
    case zeroSize(file: String)
    /// The header declares more pixels than the configured limit (checked before allocating).
    case tooManyPixels(file: String, width: Int, height: Int, limit: Int)

    public var errorDescription: String? {
        switch self {
        case let .unreadable(path, reason): "\(path): cannot read the file (\(reason))"
        case let .empty(file): "\(file): the file is empty"
        case let .truncated(file): "\(file): the image data is truncated"
        case let .unsupportedFormat(file): "\(file): not a JPEG, PNG, GIF, BMP or WebP image"
        case let .unsupportedFeature(file, feature): "\(file): unsupported image feature: \(feature)"
        case let .corrupt(file, reason): "\(file): corrupt image data (\(reason))"
        case let .zeroSize(file): "\(file): the image has zero width or height"
        case let .tooManyPixels(file, width, height, limit):
            // The header's dimensions may be anything: the product is checked, not trusted.
            "\(file): \(width)×\(height) = \(Checked.product(width, height).map(String.init) ?? "more than \(Int.max)") pixels exceeds the limit of \(limit)"
        }
    }
}
