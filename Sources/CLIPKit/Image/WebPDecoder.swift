import CWebP

/// WebP through libwebp. Pillow 13 decodes the first frame with `WebPAnimDecoder` into
/// non-premultiplied RGBA (a key frame is a plain `WebPDecode`), then drops alpha; decoding
/// straight to RGB with the default options (fancy upsampling) gives the same bytes.
enum WebPDecoder {
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, context: DecodeContext) throws
        -> DecodedImage
    {
        var features = WebPBitstreamFeatures()
        let status = WebPGetFeaturesInternal(
            bytes.baseAddress, bytes.count, &features, Int32(WEBP_DECODER_ABI_VERSION))
        switch status {
        case VP8_STATUS_OK: break
        case VP8_STATUS_NOT_ENOUGH_DATA where isCutShort(bytes):
            throw ImageError.truncated(file: context.file)
        case VP8_STATUS_UNSUPPORTED_FEATURE:
            throw ImageError.unsupportedFeature(file: context.file, feature: "WebP feature")
        default: throw context.corrupt("invalid WebP header (libwebp status \(status.rawValue))")
        }
        let width = Int(features.width)
        let height = Int(features.height)
        try context.checkSize(width: width, height: height)
        if features.has_animation != 0 {
            throw ImageError.unsupportedFeature(file: context.file, feature: "animated WebP")
        }
        let count = width * height
        var ok = false
        let pixels = [UInt8](unsafeUninitializedCapacity: count * 3) { buffer, initialized in
            ok = WebPDecodeRGBInto(bytes.baseAddress, bytes.count, buffer.baseAddress, count * 3, Int32(width * 3)) != nil
            if !ok { buffer.initialize(repeating: 0) }
            initialized = count * 3
        }
        guard ok else {
            if isCutShort(bytes) { throw ImageError.truncated(file: context.file) }
            throw context.corrupt("libwebp could not decode the image")
        }
        return DecodedImage(
            validatedWidth: width, height: height, pixels: pixels, format: .webp,
            sourceMode: features.has_alpha != 0 ? "RGBA" : "RGB", transparentColor: nil)
    }

    /// libwebp does not say why it failed; the RIFF size tells a file cut short from a bad one.
    static func isCutShort(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count >= 8 else { return true }
        let declared = Int(bytes[4]) | Int(bytes[5]) << 8 | Int(bytes[6]) << 16 | Int(bytes[7]) << 24
        return declared + 8 > bytes.count
    }
}
