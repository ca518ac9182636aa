/// Windows BMP as Pillow 13's `BmpImagePlugin` reads it then `convert("RGB")`s it: 1/4/8-bit
/// palette, 24-bit BGR and 32-bit BGRX (alpha ignored) or BITFIELDS with byte-aligned masks,
/// bottom-up (positive height) or top-down (negative height). RLE and 16-bit are refused.
enum BMPDecoder {
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, context: DecodeContext) throws
        -> DecodedImage
    {
        var reader = ByteReader(bytes: bytes, file: context.file)
        try reader.skip(10)
        let pixelOffset = Int(try reader.uint32LE())
        let headerSize = Int(try reader.uint32LE())
        let width: Int
        let signedHeight: Int
        let bits: Int
        var compression = 0
        var colorsUsed = 0
        if headerSize == 12 {
            width = Int(try reader.uint16LE())
            signedHeight = Int(try reader.uint16LE())
            try reader.skip(2)
            bits = Int(try reader.uint16LE())
        } else if headerSize >= 40 {
            width = Int(Int32(bitPattern: try reader.uint32LE()))
            signedHeight = Int(Int32(bitPattern: try reader.uint32LE()))
            try reader.skip(2)
            bits = Int(try reader.uint16LE())
            compression = Int(try reader.uint32LE())
            try reader.skip(12)
            colorsUsed = Int(try reader.uint32LE())
        } else {
            throw context.corrupt("unknown BMP header size \(headerSize)")
        }
        let height = abs(signedHeight)
        guard width >= 0 else { throw context.corrupt("negative BMP width") }
        try context.checkSize(width: width, height: height)
        let bottomUp = signedHeight > 0

        // Channel byte positions within a 32-bit pixel (B, G, R at 0, 1, 2 by default).
        var channelShifts = [16, 8, 0]
        switch (compression, bits) {
        case (0, 1), (0, 4), (0, 8), (0, 24), (0, 32): break
        case (3, 32), (6, 32):
            reader.offset = 14 + 40
            let masks = [try reader.uint32LE(), try reader.uint32LE(), try reader.uint32LE()]
            channelShifts = try masks.map { mask in
                guard let shift = [0, 8, 16, 24].first(where: { mask == UInt32(0xFF) << UInt32($0) }) else {
                    throw ImageError.unsupportedFeature(file: context.file, feature: "BMP bit masks")
                }
                return shift
            }
        case (1, _), (2, _):
            throw ImageError.unsupportedFeature(file: context.file, feature: "RLE-compressed BMP")
        default:
            throw ImageError.unsupportedFeature(
                file: context.file, feature: "BMP with \(bits) bits per pixel, compression \(compression)")
        }

        // Palette (BGRX, or BGR for the old 12-byte header), black past its end.
        var table = [UInt8](repeating: 0, count: 768)
        var mode = bits <= 8 ? "P" : "RGB"
        if bits <= 8 {
            let entries = min(256, colorsUsed > 0 ? colorsUsed : 1 << bits)
            let entrySize = headerSize == 12 ? 3 : 4
            reader.offset = 14 + headerSize
            let palette = try reader.bytes(entries * entrySize)
            for i in 0..<entries {
                table[3 * i] = palette[i * entrySize + 2]
                table[3 * i + 1] = palette[i * entrySize + 1]
                table[3 * i + 2] = palette[i * entrySize]
            }
            // Pillow calls a gray-ramp palette "L" (or "1" for black/white) and then reads
            // indices as gray levels.
            let levels = entries == 2 ? [0, 255] : Array(0..<entries)
            if levels.enumerated().allSatisfy({ i, v in
                (0..<3).allSatisfy { table[3 * i + $0] == UInt8(v) }
            }) {
                mode = entries == 2 ? "1" : "L"
                for i in 0..<256 {
                    let v = UInt8(entries == 2 ? (i == 0 ? 0 : 255) : i)
                    table[3 * i] = v
                    table[3 * i + 1] = v
                    table[3 * i + 2] = v
                }
            }
        }

        // Checked: the header's width and height are only bounded by the pixel limit.
        guard let rowBits = Checked.product(width, bits), let stride = Checked.product((rowBits + 31) / 32, 4),
              let pixelBytes = Checked.product(stride, height),
              pixelOffset >= 0, pixelOffset <= bytes.count, pixelBytes <= bytes.count - pixelOffset else {
            throw ImageError.truncated(file: context.file)
        }
        let count = width * height
        let pixels = [UInt8](unsafeUninitializedCapacity: count * 3) { buffer, initialized in
            let out = buffer.baseAddress!
            for y in 0..<height {
                let row = bytes.baseAddress! + pixelOffset + (bottomUp ? height - 1 - y : y) * stride
                let dst = out + y * width * 3
                switch bits {
                case 24:
                    for x in 0..<width {
                        dst[3 * x] = row[3 * x + 2]
                        dst[3 * x + 1] = row[3 * x + 1]
                        dst[3 * x + 2] = row[3 * x]
                    }
                case 32:
                    let r = channelShifts[0] / 8, g = channelShifts[1] / 8, b = channelShifts[2] / 8
                    for x in 0..<width {
                        dst[3 * x] = row[4 * x + r]
                        dst[3 * x + 1] = row[4 * x + g]
                        dst[3 * x + 2] = row[4 * x + b]
                    }
                default:
                    let perByte = 8 / bits
                    let mask = (1 << bits) - 1
                    for x in 0..<width {
                        let byte = Int(row[x / perByte])
                        let index = (byte >> (8 - bits * (x % perByte + 1))) & mask
                        dst[3 * x] = table[3 * index]
                        dst[3 * x + 1] = table[3 * index + 1]
                        dst[3 * x + 2] = table[3 * index + 2]
                    }
                }
            }
            initialized = count * 3
        }
        return DecodedImage(
            validatedWidth: width, height: height, pixels: pixels, format: .bmp, sourceMode: mode,
            transparentColor: nil)
    }
}
