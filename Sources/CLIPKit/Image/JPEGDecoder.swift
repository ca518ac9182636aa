import CImageCodecs

/// JPEG through libjpeg-turbo with the settings Pillow 13 uses (libjpeg's defaults: JDCT_ISLOW
/// integer IDCT, fancy upsampling; output colour space by component count: gray, RGB, CMYK).
enum JPEGDecoder {
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, context: DecodeContext) throws
        -> DecodedImage
    {
        guard let base = bytes.baseAddress else { throw ImageError.empty(file: context.file) }
        var message = [CChar](repeating: 0, count: 256)
        var handle: OpaquePointer?
        var info = cik_jpeg_info()
        let opened = cik_jpeg_open(base, bytes.count, &handle, &info, &message, message.count)
        guard opened == CIK_OK, let handle else {
            throw error(status: opened, message: message, context: context)
        }
        defer { cik_jpeg_close(handle) }
        let width = Int(info.width)
        let height = Int(info.height)
        try context.checkSize(width: width, height: height)
        let components = Int(info.components)
        let count = width * height

        if components == 4 {
            var cmyk = [UInt8](repeating: 0, count: count * 4)
            let status = cmyk.withUnsafeMutableBufferPointer {
                cik_jpeg_read(handle, $0.baseAddress, width * 4, &message, message.count)
            }
            guard status == CIK_OK else { throw error(status: status, message: message, context: context) }
            let rgb = [UInt8](unsafeUninitializedCapacity: count * 3) { buffer, initialized in
                cmyk.withUnsafeBufferPointer {
                    ColorConversion.invertedCMYKToRGB($0.baseAddress!, buffer.baseAddress!, count: count)
                }
                initialized = count * 3
            }
            return DecodedImage(
                validatedWidth: width, height: height, pixels: rgb, format: .jpeg, sourceMode: "CMYK",
                transparentColor: nil)
        }

        // RGB decodes straight into the result; gray decodes into the front of each RGB row
        // and is widened in place.
        var status = CIK_OK
        let pixels = [UInt8](unsafeUninitializedCapacity: count * 3) { buffer, initialized in
            status = cik_jpeg_read(handle, buffer.baseAddress, width * 3, &message, message.count)
            if status == CIK_OK, components == 1 {
                ColorConversion.expandGrayRowsInPlace(buffer.baseAddress!, width: width, height: height)
            }
            if status != CIK_OK { buffer.initialize(repeating: 0) }
            initialized = count * 3
        }
        guard status == CIK_OK else { throw error(status: status, message: message, context: context) }
        return DecodedImage(
            validatedWidth: width, height: height, pixels: pixels, format: .jpeg,
            sourceMode: components == 1 ? "L" : "RGB", transparentColor: nil)
    }

    static func error(status: Int32, message: [CChar], context: DecodeContext) -> ImageError {
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch status {
        case CIK_TRUNCATED: return .truncated(file: context.file)
        case CIK_EMPTY_IMAGE: return .zeroSize(file: context.file)
        case CIK_UNSUPPORTED: return .unsupportedFeature(file: context.file, feature: text)
        default: return .corrupt(file: context.file, reason: text.isEmpty ? "decoder error \(status)" : text)
        }
    }
}
