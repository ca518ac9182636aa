/// The EXIF orientation tag (0x0112) and the transpose Pillow's `ImageOps.exif_transpose`
/// applies for it.
///
/// Read from JPEG APP1 "Exif", PNG `eXIf` and WebP `EXIF` chunks; when the EXIF block has no
/// orientation, Pillow 13 falls back to `tiff:Orientation` in the XMP packet, and so do we.
enum EXIFOrientation: Int {
    case up = 1, mirrored = 2, rotated180 = 3, flippedVertically = 4
    case transposed = 5, rotatedClockwise = 6, transversed = 7, rotatedCounterClockwise = 8

    /// The orientation declared by the file, or `nil` when absent or not 1–8.
    init?(reading bytes: UnsafeBufferPointer<UInt8>, format: ImageFormat) {
        let (exif, xmp) = Self.metadata(in: bytes, format: format)
        if let exif, let value = Self.orientation(inTIFF: exif) {
            self.init(rawValue: value)
        } else if let xmp, let value = Self.orientation(inXMP: xmp) {
            self.init(rawValue: value)
        } else {
            return nil
        }
    }

    /// The EXIF (TIFF) block and XMP packet of a file, if present.
    static func metadata(in bytes: UnsafeBufferPointer<UInt8>, format: ImageFormat)
        -> (exif: ArraySlice<UInt8>?, xmp: ArraySlice<UInt8>?)
    {
        var exif: ArraySlice<UInt8>?
        var xmp: ArraySlice<UInt8>?
        func slice(_ start: Int, _ end: Int) -> ArraySlice<UInt8> { Array(bytes[start..<end])[...] }
        switch format {
        case .jpeg:
            var i = 2
            while i + 4 <= bytes.count, bytes[i] == 0xFF {
                let marker = bytes[i + 1]
                if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) || marker == 0xFF {
                    i += marker == 0xFF ? 1 : 2
                    continue
                }
                if marker == 0xDA || marker == 0xD9 { break }
                let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
                let start = i + 4
                let end = i + 2 + length
                guard length >= 2, end <= bytes.count else { break }
                if marker == 0xE1 {
                    let payload = slice(start, end)
                    let exifHeader: [UInt8] = Array("Exif".utf8) + [0, 0]
                    let xmpHeader: [UInt8] = Array("http://ns.adobe.com/xap/1.0/".utf8) + [0]
                    if exif == nil, payload.starts(with: exifHeader) {
                        exif = payload.dropFirst(6)
                    } else if xmp == nil, payload.starts(with: xmpHeader) {
                        xmp = payload.dropFirst(xmpHeader.count)
                    }
                }
                i = end
            }
        case .png:
            var i = 8
            while i + 12 <= bytes.count {
                let length = Int(bigEndian32(bytes, i))
                let type = String(decoding: bytes[i + 4..<i + 8], as: UTF8.self)
                let start = i + 8
                guard length <= bytes.count - start - 4 else { break }
                if type == "eXIf", exif == nil { exif = slice(start, start + length) }
                if type == "iTXt", xmp == nil {
                    let keyword: [UInt8] = Array("XML:com.adobe.xmp".utf8) + [0, 0]  // + uncompressed flag
                    let chunk = slice(start, start + length)
                    if chunk.starts(with: keyword) { xmp = chunk }
                }
                if type == "IEND" { break }
                i = start + length + 4
            }
        case .webp:
            var i = 12
            while i + 8 <= bytes.count {
                let type = String(decoding: bytes[i..<i + 4], as: UTF8.self)
                let length = Int(bytes[i + 4]) | Int(bytes[i + 5]) << 8 | Int(bytes[i + 6]) << 16
                    | Int(bytes[i + 7]) << 24
                let start = i + 8
                guard length <= bytes.count - start else { break }
                if type == "EXIF" { exif = slice(start, start + length) }
                if type == "XMP " { xmp = slice(start, start + length) }
                i = start + length + (length & 1)
            }
        case .gif, .bmp:
            break
        }
        if let block = exif, block.starts(with: Array("Exif".utf8) + [0, 0]) {
            exif = block.dropFirst(6)
        }
        return (exif, xmp)
    }

    /// Tag 0x0112 of IFD0 in a TIFF-structured EXIF block, bounds-checked throughout.
    static func orientation(inTIFF block: ArraySlice<UInt8>) -> Int? {
        let tiff = Array(block)
        guard tiff.count >= 8 else { return nil }
        let little: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= tiff.count else { return nil }
            return little ? Int(tiff[o]) | Int(tiff[o + 1]) << 8 : Int(tiff[o]) << 8 | Int(tiff[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard let a = u16(o), let b = u16(o + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard let ifd = u32(4), let entries = u16(ifd) else { return nil }
        for n in 0..<entries {
            let entry = ifd + 2 + 12 * n
            guard let tag = u16(entry), let type = u16(entry + 2) else { return nil }
            if tag == 0x0112 {
                switch type {
                case 3: return u16(entry + 8)
                case 4: return u32(entry + 8)
                default: return nil
                }
            }
        }
        return nil
    }

    /// `tiff:Orientation="N"` or `tiff:Orientation>N` in an XMP packet (Pillow's pattern).
    static func orientation(inXMP xmp: ArraySlice<UInt8>) -> Int? {
        let key = Array("tiff:Orientation".utf8)
        let text = Array(xmp)
        guard text.count > key.count + 1 else { return nil }
        var i = 0
        while i + key.count + 1 < text.count {
            if text[i] == key[0], Array(text[i..<i + key.count]) == key {
                var j = i + key.count
                if text[j] == UInt8(ascii: "=") && j + 1 < text.count && text[j + 1] == UInt8(ascii: "\"") {
                    j += 2
                } else if text[j] == UInt8(ascii: ">") {
                    j += 1
                } else {
                    i += 1
                    continue
                }
                if j < text.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[j]) {
                    return Int(text[j] - UInt8(ascii: "0"))
                }
            }
            i += 1
        }
        return nil
    }

    /// The image as Pillow's `Image.transpose` leaves it for this orientation.
    func applied(to image: DecodedImage) -> DecodedImage {
        let w = image.width
        let h = image.height
        let swaps = rawValue >= 5
        let outWidth = swaps ? h : w
        let outHeight = swaps ? w : h
        // Source column/row for output (x, y): swapped orientations read (y, x) before flips.
        let (flipX, flipY): (Bool, Bool) =
            switch self {
            case .up: (false, false)
            case .mirrored: (true, false)
            case .rotated180: (true, true)
            case .flippedVertically: (false, true)
            case .transposed: (false, false)
            case .rotatedClockwise: (false, true)
            case .transversed: (true, true)
            case .rotatedCounterClockwise: (true, false)
            }
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<outHeight {
                    for x in 0..<outWidth {
                        var sx = swaps ? y : x
                        var sy = swaps ? x : y
                        if flipX { sx = w - 1 - sx }
                        if flipY { sy = h - 1 - sy }
                        let s = (sy * w + sx) * 3
                        let d = (y * outWidth + x) * 3
                        dst[d] = src[s]
                        dst[d + 1] = src[s + 1]
                        dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
        return DecodedImage(
            validatedWidth: outWidth, height: outHeight, pixels: out, format: image.format,
            sourceMode: image.sourceMode, transparentColor: image.transparentColor)
    }
}
