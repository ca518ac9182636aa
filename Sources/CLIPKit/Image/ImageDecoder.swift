import Foundation

/// Decodes JPEG, PNG, GIF, BMP and WebP files into RGB, matching Hugging Face's `load_image`
/// (Pillow 13: `ImageOps.exif_transpose(Image.open(f)).convert("RGB")`) pixel for pixel.
///
/// The format is chosen by magic bytes. Dimensions are read from the header and checked
/// against ``ImageDecodingOptions/maxPixelCount`` before any pixel buffer is allocated.
public enum ImageDecoder {
    /// Decodes the image file at `url`. Throws ``ImageError`` naming the file.
    public static func decode(contentsOf url: URL, options: ImageDecodingOptions = .init()) throws
        -> DecodedImage
    {
        let data: Data
        do {
            data = try FileBytes.read(url, options: .mappedIfSafe)
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? error.localizedDescription
            throw ImageError.unreadable(path: url.path, reason: reason)
        }
        return try decode(data, name: url.path, options: options)
    }

    /// Decodes an in-memory image file; `name` identifies it in errors.
    public static func decode(_ data: Data, name: String, options: ImageDecodingOptions = .init())
        throws -> DecodedImage
    {
        guard !data.isEmpty else { throw ImageError.empty(file: name) }
        guard let format = ImageFormat(sniffing: data.prefix(16)) else {
            throw ImageError.unsupportedFormat(file: name)
        }
        let context = DecodeContext(file: name, options: options)
        return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> DecodedImage in
            let bytes = raw.bindMemory(to: UInt8.self)
            var image: DecodedImage
            switch format {
            case .jpeg: image = try JPEGDecoder.decode(bytes, context: context)
            case .png: image = try PNGDecoder.decode(bytes, context: context)
            case .gif: image = try GIFDecoder.decode(bytes, context: context)
            case .bmp: image = try BMPDecoder.decode(bytes, context: context)
            case .webp: image = try WebPDecoder.decode(bytes, context: context)
            }
            if options.appliesEXIFOrientation,
                let orientation = EXIFOrientation(reading: bytes, format: format),
                orientation != .up
            {
                image = orientation.applied(to: image)
            }
            return image
        }
    }
}

/// What every format decoder needs besides the bytes: the file name and the limits.
struct DecodeContext {
    let file: String
    let options: ImageDecodingOptions

    /// Throws unless `width`×`height` is a non-empty image within the pixel limit. Afterwards
    /// `width * height * 4` is known not to overflow, so decoders size buffers with plain
    /// arithmetic on these two values.
    func checkSize(width: Int, height: Int) throws {
        guard width > 0, height > 0 else { throw ImageError.zeroSize(file: file) }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= options.maxPixelCount,
            !pixels.multipliedReportingOverflow(by: 4).overflow
        else {
            throw ImageError.tooManyPixels(
                file: file, width: width, height: height, limit: options.maxPixelCount)
        }
    }

    func corrupt(_ reason: String) -> ImageError { .corrupt(file: file, reason: reason) }
}
