// Pillow 13 `Image.convert("RGB")` (src/libImaging/Convert.c) for the modes decoders produce.

/// Conversions to interleaved 8-bit RGB, each bit-exact with PIL's `convert("RGB")`.
enum ColorConversion {
    /// L → RGB: each gray row (the first `width` bytes of a `width * 3`-byte row) is replicated
    /// in place into R = G = B, back to front so no byte is overwritten before it is read.
    static func expandGrayRowsInPlace(_ pixels: UnsafeMutablePointer<UInt8>, width: Int, height: Int) {
        for y in 0..<height {
            let row = pixels + y * width * 3
            var x = width - 1
            while x >= 0 {
                let v = row[x]
                row[3 * x] = v
                row[3 * x + 1] = v
                row[3 * x + 2] = v
                x -= 1
            }
        }
    }

    /// CMYK as libjpeg returns it from an Adobe-style (inverted) JPEG → RGB.
    ///
    /// Pillow always reads 4-channel JPEGs as "CMYK;I" (each stored sample inverted), then
    /// converts with `nk = 255 − K; out = clip(nk − MULDIV255(C, nk))`, where
    /// `MULDIV255(a, b) = ((a·b + 128) >> 8 + a·b + 128) >> 8`. With the stored (uninverted)
    /// samples that is `out = k − MULDIV255(255 − c, k)`.
    static func invertedCMYKToRGB(
        _ cmyk: UnsafePointer<UInt8>, _ rgb: UnsafeMutablePointer<UInt8>, count: Int
    ) {
        for i in 0..<count {
            let nk = Int(cmyk[4 * i + 3])
            for c in 0..<3 {
                let ink = 255 - Int(cmyk[4 * i + c])
                let t = ink * nk + 128
                let v = nk - (((t >> 8) + t) >> 8)
                rgb[3 * i + c] = UInt8(clamping: v)
            }
        }
    }

    /// P → RGB: indices through a 256-entry RGB palette (`palette.count == 768`).
    static func expandPalette(
        _ indices: UnsafePointer<UInt8>, count: Int, palette: UnsafePointer<UInt8>,
        into rgb: UnsafeMutablePointer<UInt8>
    ) {
        for i in 0..<count {
            let p = Int(indices[i]) * 3
            rgb[3 * i] = palette[p]
            rgb[3 * i + 1] = palette[p + 1]
            rgb[3 * i + 2] = palette[p + 2]
        }
    }

    /// I;16 → RGB for 16-bit grayscale, by the chosen rule.
    static func gray16ToRGB(
        _ gray: UnsafePointer<UInt16>, count: Int, rule: ImageDecodingOptions.SixteenBitGrayConversion,
        into rgb: UnsafeMutablePointer<UInt8>
    ) {
        for i in 0..<count {
            let v = gray[i]
            let byte: UInt8 =
                switch rule {
                case .highByte: UInt8(truncatingIfNeeded: v >> 8)
                case .clipLikePIL: v > 255 ? 255 : UInt8(truncatingIfNeeded: v)
                }
            rgb[3 * i] = byte
            rgb[3 * i + 1] = byte
            rgb[3 * i + 2] = byte
        }
    }
}
