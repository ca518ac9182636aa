import CLIPKit
import Foundation

/// Decodes and preprocesses request images off the inference thread, a bounded number at a
/// time across all requests, each on a dispatch worker so cooperative threads stay free.
final class ImagePreparer: Sendable {
    private let semaphore: AsyncSemaphore
    private let options: ImageDecodingOptions

    init(configuration: ServerConfiguration) {
        semaphore = AsyncSemaphore(count: configuration.decodeConcurrency)
        var options = ImageDecodingOptions()
        options.appliesEXIFOrientation = configuration.appliesEXIFOrientation
        options.maxPixelCount = configuration.maxPixelCount
        self.options = options
    }

    /// The preprocessed pixels [channels·size·size] of encoded image bytes, or the item's error.
    func pixels(of data: Data, name: String, pipeline: CLIPPipeline) async -> Result<[Float], ServerError> {
        await semaphore.wait()
        defer { semaphore.signal() }
        let options = options
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: Self.prepare(data, name: name, options: options, pipeline: pipeline))
            }
        }
    }

    private static func prepare(_ data: Data, name: String, options: ImageDecodingOptions,
                                pipeline: CLIPPipeline) -> Result<[Float], ServerError> {
        let image: DecodedImage
        do {
            image = try ImageDecoder.decode(data, name: name, options: options)
        } catch let error as ImageError {
            let code: String
            switch error {
            case .tooManyPixels: code = "too_many_pixels"
            case .unsupportedFormat: code = "unsupported_format"
            default: code = "undecodable_image"
            }
            return .failure(.unprocessable(code: code, message: error.localizedDescription))
        } catch {
            return .failure(.unprocessable(code: "undecodable_image", message: error.localizedDescription))
        }
        let shape = pipeline.preprocessor.outputShape
        var pixels = [Float](repeating: 0, count: shape.channels * shape.height * shape.width)
        let ok = pixels.withUnsafeMutableBufferPointer { pipeline.preprocessor.preprocess(image, into: $0) }
        guard ok else {
            return .failure(.unprocessable(code: "undecodable_image", message: "\(name): the image cannot be preprocessed"))
        }
        return .success(pixels)
    }
}
