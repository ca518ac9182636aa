/// GIF, first frame only, as Pillow 13's `GifImagePlugin` loads it then `convert("RGB")`s it.
///
/// The canvas is the logical screen (grown if the first frame sticks out). Pixels the frame does
/// not cover are palette index 0, or the transparent index when the frame declares one. A
/// palette that is exactly the gray ramp makes Pillow call the image "L"; otherwise "P".
/// Palette entries past the table's end are black.
enum GIFDecoder {
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, context: DecodeContext) throws
        -> DecodedImage
    {
        var reader = ByteReader(bytes: bytes, file: context.file)
        try reader.skip(6)  // "GIF87a" / "GIF89a"
        var width = Int(try reader.uint16LE())
        var height = Int(try reader.uint16LE())
        let flags = try reader.byte()
        try reader.skip(2)  // background index, aspect ratio
        try context.checkSize(width: width, height: height)
        var globalPalette: [UInt8]?
        if flags & 0x80 != 0 {
            globalPalette = Array(try reader.bytes(3 << (Int(flags & 7) + 1)))
        }

        var transparentIndex: Int?
        while true {
            switch try reader.byte() {
            case 0x21:  // extension
                let label = try reader.byte()
                if label == 0xF9 {
                    let size = Int(try reader.byte())
                    let block = try reader.bytes(size)
                    if size >= 4, block[0] & 1 != 0 { transparentIndex = Int(block[3]) }
                }
                try reader.skipSubBlocks()
            case 0x2C:  // image descriptor: the first frame
                let left = Int(try reader.uint16LE())
                let top = Int(try reader.uint16LE())
                let frameWidth = Int(try reader.uint16LE())
                let frameHeight = Int(try reader.uint16LE())
                let frameFlags = try reader.byte()
                var palette = globalPalette
                if frameFlags & 0x80 != 0 {
                    palette = Array(try reader.bytes(3 << (Int(frameFlags & 7) + 1)))
                }
                width = max(width, left + frameWidth)
                height = max(height, top + frameHeight)
                try context.checkSize(width: width, height: height)
                let minimumCodeSize = Int(try reader.byte())
                let fill = UInt8(truncatingIfNeeded: transparentIndex ?? 0)
                var indices = [UInt8](repeating: fill, count: width * height)
                if frameWidth > 0, frameHeight > 0 {
                    var decoder = try LZWDecoder(minimumCodeSize: minimumCodeSize, file: context.file)
                    let rows = frameFlags & 0x40 != 0 ? interlacedRows(frameHeight) : Array(0..<frameHeight)
                    try indices.withUnsafeMutableBufferPointer { canvas in
                        try decoder.decode(&reader, pixelCount: frameWidth * frameHeight) { index, value in
                            let y = top + rows[index / frameWidth]
                            canvas[y * width + left + index % frameWidth] = value
                        }
                    }
                } else {
                    try reader.skipSubBlocks()
                }
                return expand(
                    indices, width: width, height: height, palette: palette,
                    transparentIndex: transparentIndex)
            case 0x3B:
                throw context.corrupt("GIF has no image")
            default:
                throw context.corrupt("unknown GIF block")
            }
        }
    }

    /// Frame row for each decoded row of an interlaced GIF (passes 8/0, 8/4, 4/2, 2/1).
    static func interlacedRows(_ height: Int) -> [Int] {
        var rows: [Int] = []
        rows.reserveCapacity(height)
        for (start, step) in [(0, 8), (4, 8), (2, 4), (1, 2)] {
            rows.append(contentsOf: stride(from: start, to: height, by: step))
        }
        return rows
    }

    static func expand(
        _ indices: [UInt8], width: Int, height: Int, palette: [UInt8]?, transparentIndex: Int?
    ) -> DecodedImage {
        var table = [UInt8](repeating: 0, count: 768)
        var mode = "P"
        if let palette, !isGrayRamp(palette) {
            table.replaceSubrange(0..<min(768, palette.count), with: palette.prefix(768))
        } else {
            mode = "L"  // no palette, or the identity gray ramp: index = gray level
            for i in 0..<256 { table[3 * i] = UInt8(i); table[3 * i + 1] = UInt8(i); table[3 * i + 2] = UInt8(i) }
        }
        let count = width * height
        let pixels = [UInt8](unsafeUninitializedCapacity: count * 3) { buffer, initialized in
            indices.withUnsafeBufferPointer { idx in
                table.withUnsafeBufferPointer {
                    ColorConversion.expandPalette(
                        idx.baseAddress!, count: count, palette: $0.baseAddress!, into: buffer.baseAddress!)
                }
            }
            initialized = count * 3
        }
        let key = transparentIndex.map {
            RGBColor(red: table[3 * $0], green: table[3 * $0 + 1], blue: table[3 * $0 + 2])
        }
        return DecodedImage(
            validatedWidth: width, height: height, pixels: pixels, format: .gif, sourceMode: mode,
            transparentColor: key)
    }

    static func isGrayRamp(_ palette: [UInt8]) -> Bool {
        stride(from: 0, to: palette.count - 2, by: 3).allSatisfy {
            let i = $0 / 3
            return Int(palette[$0]) == i && Int(palette[$0 + 1]) == i && Int(palette[$0 + 2]) == i
        }
    }
}

/// GIF's variable-width LZW over data sub-blocks.
struct LZWDecoder {
    private let minimumCodeSize: Int
    private var prefix = [UInt16](repeating: 0, count: 4096)
    private var suffix = [UInt8](repeating: 0, count: 4096)
    private var stack = [UInt8](repeating: 0, count: 4097)
    private let file: String

    init(minimumCodeSize: Int, file: String) throws {
        guard (1...11).contains(minimumCodeSize) else {
            throw ImageError.corrupt(file: file, reason: "bad LZW code size \(minimumCodeSize)")
        }
        self.minimumCodeSize = minimumCodeSize
        self.file = file
    }

    /// Decodes up to `pixelCount` indices, calling `emit(i, value)` for each, then skips to the
    /// end of the sub-blocks. Missing data past the end code leaves pixels untouched.
    mutating func decode(
        _ reader: inout ByteReader, pixelCount: Int, emit: (Int, UInt8) -> Void
    ) throws {
        let clear = 1 << minimumCodeSize
        let end = clear + 1
        var width = minimumCodeSize + 1
        var next = end + 1
        var previous = -1
        var first: UInt8 = 0
        var bitBuffer = 0
        var bitCount = 0
        var blockLeft = 0
        var emitted = 0
        var finished = false
        for i in 0..<clear { suffix[i] = UInt8(truncatingIfNeeded: i) }

        decoding: while emitted < pixelCount {
            while bitCount < width {
                if blockLeft == 0 {
                    blockLeft = Int(try reader.byte())
                    if blockLeft == 0 { finished = true; break decoding }
                }
                bitBuffer |= Int(try reader.byte()) << bitCount
                bitCount += 8
                blockLeft -= 1
            }
            let code = bitBuffer & ((1 << width) - 1)
            bitBuffer >>= width
            bitCount -= width
            if code == clear {
                width = minimumCodeSize + 1
                next = end + 1
                previous = -1
                continue
            }
            if code == end { break }
            var top = 0
            var current = code
            if previous < 0 {
                guard code < clear else { throw ImageError.corrupt(file: file, reason: "bad LZW code") }
                first = UInt8(truncatingIfNeeded: code)
                emit(emitted, first)
                emitted += 1
                previous = code
                continue
            }
            if code > next || (code == next && next >= 4096) {
                throw ImageError.corrupt(file: file, reason: "bad LZW code")
            }
            if code == next {  // KwKwK: the code being defined now
                stack[top] = first
                top += 1
                current = previous
            }
            while current >= clear {
                stack[top] = suffix[current]
                top += 1
                current = Int(prefix[current])
            }
            first = suffix[current]
            stack[top] = first
            top += 1
            if next < 4096 {
                prefix[next] = UInt16(previous)
                suffix[next] = first
                next += 1
                if next == 1 << width, width < 12 { width += 1 }
            }
            while top > 0, emitted < pixelCount {
                top -= 1
                emit(emitted, stack[top])
                emitted += 1
            }
            previous = code
        }
        if !finished {
            if blockLeft > 0 { try reader.skip(blockLeft) }
            try reader.skipSubBlocks()
        }
    }
}
