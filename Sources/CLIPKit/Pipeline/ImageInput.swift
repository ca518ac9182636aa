import Foundation

/// One image to run through a pipeline: a file, encoded bytes, decoded pixels, or a loader that
/// produces decoded pixels when the batch reaches it.
public enum ImageInput: Sendable {
    /// An image file; its format is detected from its content.
    case file(URL)
    /// Encoded image bytes (PNG, JPEG, ...); `name` identifies them in results and errors.
    case data(Data, name: String)
    /// An image already decoded to RGB.
    case decoded(DecodedImage, name: String)
    /// A closure called (off the caller's task) when the batch containing this input is prepared.
    case loader(name: String, load: @Sendable () async throws -> DecodedImage)

    /// The file path or the given name.
    public var name: String {
        switch self {
        case .file(let url): return url.path
        case .data(_, let name), .decoded(_, let name), .loader(let name, _): return name
        }
    }

    /// Decodes the input (for `.decoded`, returns it).
    func decoded(options: ImageDecodingOptions) async throws -> DecodedImage {
        switch self {
        case .file(let url): return try ImageDecoder.decode(contentsOf: url, options: options)
        case .data(let data, let name): return try ImageDecoder.decode(data, name: name, options: options)
        case .decoded(let image, _): return image
        case .loader(_, let load): return try await load()
        }
    }

    /// Decodes the input on the calling thread, or returns nil for a `.loader` (which must be
    /// awaited).
    func decodedNow(options: ImageDecodingOptions) throws -> DecodedImage? {
        switch self {
        case .file(let url): return try ImageDecoder.decode(contentsOf: url, options: options)
        case .data(let data, let name): return try ImageDecoder.decode(data, name: name, options: options)
        case .decoded(let image, _): return image
        case .loader: return nil
        }
    }
}
