import CImageCodecs

/// PNG through libpng, converted as Pillow 13 reads and `convert("RGB")`s each colour type.
///
/// Pillow's modes: 1-bit gray "1", 2/4/8-bit gray "L", 16-bit gray "I;16", RGB (16-bit keeps the
/// high byte), palette "P", 8-bit gray+alpha "LA", 16-bit gray+alpha and RGBA "RGBA" (high
/// byte). Alpha is dropped without compositing. 16-bit gray follows
/// ``ImageDecodingOptions/sixteenBitGray``.
enum PNGDecoder {
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, context: DecodeContext) throws
        -> DecodedImage
    {
        // IHDR sits at a fixed place: check the size before libpng sees the file.
        guard bytes.count >= 33 else { throw ImageError.truncated(file: context.file) }
        guard Array(bytes[12..<16]) == Array("IHDR".utf8) else {
            throw context.corrupt("the first chunk is not IHDR")
        }
        try context.checkSize(width: Int(bigEndian32(bytes, 16)), height: Int(bigEndian32(bytes, 20)))

        var message = [CChar](repeating: 0, count: 256)
        var handle: OpaquePointer?
        var info = cik_png_info()
        let opened = cik_png_open(bytes.baseAddress, bytes.count, &handle, &info, &message, message.count)
        guard opened == CIK_OK, let handle else {
            throw JPEGDecoder.error(status: opened, message: message, context: context)
        }
        defer { cik_png_close(handle) }
        let width = Int(info.width)
        let height = Int(info.height)
        try context.checkSize(width: width, height: height)
        let count = width * height
        let depth = Int(info.bit_depth)
        let colorType = Int(info.color_type)
        let mode = pilMode(colorType: colorType, depth: depth)

        var status = CIK_OK
        let pixels: [UInt8]
        if colorType == 0, depth == 16 {
            var gray = [UInt16](repeating: 0, count: count)
            status = gray.withUnsafeMutableBytes {
                cik_png_read(
                    handle, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), width * 2, 1, &message,
                    message.count)
            }
            guard status == CIK_OK else {
                throw JPEGDecoder.error(status: status, message: message, context: context)
            }
            pixels = [UInt8](unsafeUninitializedCapacity: count * 3) { buffer, initialized in
                gray.withUnsafeBufferPointer {
                    ColorConversion.gray16ToRGB(
                        $0.baseAddress!, count: count, rule: context.options.sixteenBitGray,
                        into: buffer.baseAddress!)
                }
                initialized = count * 3
            }
        } else {
            pixels = [UInt8](unsafeUninitializedCapacity: count * 3) { buffer, initialized in
                buffer.initialize(repeating: 0)
                status = cik_png_read(handle, buffer.baseAddress, width * 3, 0, &message, message.count)
                initialized = count * 3
            }
            guard status == CIK_OK else {
                throw JPEGDecoder.error(status: status, message: message, context: context)
            }
        }
        return DecodedImage(
            validatedWidth: width, height: height, pixels: pixels, format: .png, sourceMode: mode,
            transparentColor: transparentColor(info: info, mode: mode))
    }

    static func pilMode(colorType: Int, depth: Int) -> String {
        switch (colorType, depth) {
        case (0, 1): "1"
        case (0, 16): "I;16"
        case (0, _): "L"
        case (2, _): "RGB"
        case (3, _): "P"
        case (4, 8): "LA"
        default: "RGBA"
        }
    }

    /// PIL keeps a tRNS colour key through `convert("RGB")`: a palette entry when tRNS makes
    /// exactly one entry transparent and the rest opaque; (t, t, t) for "L"; (r, g, b) for RGB;
    /// and, for "1" and "I;16", the raw integer t, which the later RGBA conversion reads as
    /// (t, 0, 0). Values above 255 never match an 8-bit pixel and are dropped.
    static func transparentColor(info: cik_png_info, mode: String) -> RGBColor? {
        guard info.trns_count > 0 else { return nil }
        func color(_ r: UInt16, _ g: UInt16, _ b: UInt16) -> RGBColor? {
            guard r <= 255, g <= 255, b <= 255 else { return nil }
            return RGBColor(red: UInt8(r), green: UInt8(g), blue: UInt8(b))
        }
        switch mode {
        case "P":
            let alpha = withUnsafeBytes(of: info.trns_alpha) { Array($0.prefix(Int(info.trns_count))) }
            guard alpha.filter({ $0 == 0 }).count == 1, alpha.allSatisfy({ $0 == 0 || $0 == 255 }),
                let index = alpha.firstIndex(of: 0)
            else { return nil }
            guard index < Int(info.palette_count) else { return RGBColor(red: 0, green: 0, blue: 0) }
            return withUnsafeBytes(of: info.palette) {
                RGBColor(red: $0[3 * index], green: $0[3 * index + 1], blue: $0[3 * index + 2])
            }
        case "L": return color(info.trns_gray, info.trns_gray, info.trns_gray)
        case "1", "I;16": return color(info.trns_gray, 0, 0)
        case "RGB": return color(info.trns_red, info.trns_green, info.trns_blue)
        default: return nil
        }
    }
}

func bigEndian32(_ bytes: UnsafeBufferPointer<UInt8>, _ offset: Int) -> UInt32 {
    UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
        | UInt32(bytes[offset + 3])
}
