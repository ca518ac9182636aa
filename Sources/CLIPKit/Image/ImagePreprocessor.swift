// Hugging Face transformers 5.23 `CLIPImageProcessorPil` (image_processing_backends.PilBackend):
// convert_to_rgb → resize → center_crop → rescale → normalize, reimplemented.

/// Turns a ``DecodedImage`` into the `[3, H, W]` float pixels CLIP's vision tower reads,
/// bit-exact with Hugging Face's PIL image processor.
public struct ImagePreprocessor: Sendable {
    public let config: PreprocessorConfig
    /// `lookup[c * 256 + v]`: the float for 8-bit value `v` in channel `c` after rescale and
    /// normalisation, computed in the reference's precisions (float64 rescale, float32 rest).
    private let lookup: [Float]

    public init(config: PreprocessorConfig) {
        self.config = config
        var table = [Float](repeating: 0, count: 768)
        for c in 0..<3 {
            let mean = Float(c < config.imageMean.count ? config.imageMean[c] : 0)
            let std = Float(c < config.imageStd.count ? config.imageStd[c] : 1)
            for v in 0..<256 {
                var x = config.doRescale ? Float(Double(v) * config.rescaleFactor) : Float(v)
                if config.doNormalize { x = (x - mean) / std }
                table[c * 256 + v] = x
            }
        }
        lookup = table
    }

    /// The output shape when it does not depend on the image: the crop size, else an explicit
    /// `{height, width}` resize, else (for `shortest_edge` without crop) a square of that edge.
    /// Use ``outputShape(for:)`` for the exact shape of a given image.
    public var outputShape: (channels: Int, height: Int, width: Int) {
        if config.doCenterCrop, let h = config.cropSize.height, let w = config.cropSize.width {
            return (3, h, w)
        }
        if let h = config.size.height, let w = config.size.width { return (3, h, w) }
        let edge = config.size.shortestEdge ?? 0
        return (3, edge, edge)
    }

    /// The output shape for `image`.
    public func outputShape(for image: DecodedImage) -> (channels: Int, height: Int, width: Int) {
        let (h, w) = plan(for: image).output
        return (3, h, w)
    }

    /// `[3, H, W]` pixels for `image`.
    public func callAsFunction(_ image: DecodedImage) -> Tensor {
        let (h, w) = plan(for: image).output
        var tensor = Tensor(zeros: [3, h, w])
        _ = tensor.scalars.withUnsafeMutableBufferPointer { preprocess(image, into: $0) }
        return tensor
    }

    /// Writes `3 * H * W` floats for `image` into the front of `buffer` (one slot of a batch).
    /// Returns `false`, writing nothing, when `buffer` is too small.
    @discardableResult
    public func preprocess(_ image: DecodedImage, into buffer: UnsafeMutableBufferPointer<Float>) -> Bool {
        let plan = plan(for: image)
        let (outH, outW) = plan.output
        guard buffer.count >= 3 * outH * outW, let out = buffer.baseAddress else { return false }

        var pixels = image.pixels
        if config.doConvertRGB, let key = image.transparentColor {
            // HF composites images carrying a transparency key onto white: pixels of exactly
            // that colour become (255, 255, 255).
            for i in stride(from: 0, to: pixels.count, by: 3)
            where pixels[i] == key.red && pixels[i + 1] == key.green && pixels[i + 2] == key.blue {
                pixels[i] = 255
                pixels[i + 1] = 255
                pixels[i + 2] = 255
            }
        }
        let window: [UInt8] = pixels.withUnsafeBufferPointer { src in
            if plan.resized == (image.height, image.width) {
                return Resampler.columnBand(
                    src.baseAddress! + plan.rows.lowerBound * image.width * 3, width: image.width,
                    height: plan.rows.count, columns: plan.columns)
            }
            return Resampler.resize(
                src.baseAddress!, width: image.width, height: image.height, outWidth: plan.resized.width,
                outHeight: plan.resized.height, filter: config.resample, columns: plan.columns, rows: plan.rows)
        }

        // Padding is zero *before* rescale/normalise, as in HF's center_crop.
        let plane = outH * outW
        lookup.withUnsafeBufferPointer { lut in
            window.withUnsafeBufferPointer { win in
                for c in 0..<3 {
                    let table = lut.baseAddress! + c * 256
                    let dst = out + c * plane
                    if plan.padded { dst.update(repeating: table[0], count: plane) }
                    let w = plan.columns.count
                    for r in 0..<plan.rows.count {
                        let row = dst + (r + plan.offset.y) * outW + plan.offset.x
                        let src = win.baseAddress! + r * w * 3 + c
                        for x in 0..<w { row[x] = table[Int(src[3 * x])] }
                    }
                }
            }
        }
        return true
    }

    /// Geometry for one image: resize target, the kept window of it, and where that lands.
    struct Plan {
        var resized: (height: Int, width: Int)
        var rows: Range<Int>
        var columns: Range<Int>
        var output: (height: Int, width: Int)
        var offset: (y: Int, x: Int)
        var padded: Bool
    }

    func plan(for image: DecodedImage) -> Plan {
        let resized = config.doResize ? resizedSize(height: image.height, width: image.width) : (image.height, image.width)
        guard config.doCenterCrop, let ch = config.cropSize.height, let cw = config.cropSize.width else {
            return Plan(
                resized: resized, rows: 0..<resized.0, columns: 0..<resized.1, output: resized, offset: (0, 0),
                padded: false)
        }
        // HF center_crop: top = (h − ch) // 2 when it fits; otherwise the image is centred in a
        // zero canvas at ceil((ch − h) / 2).
        func axis(_ size: Int, _ crop: Int) -> (Range<Int>, Int) {
            crop <= size ? ((size - crop) / 2..<(size - crop) / 2 + crop, 0) : (0..<size, (crop - size + 1) / 2)
        }
        let (rows, dy) = axis(resized.0, ch)
        let (columns, dx) = axis(resized.1, cw)
        return Plan(
            resized: resized, rows: rows, columns: columns, output: (ch, cw), offset: (dy, dx),
            padded: rows.count < ch || columns.count < cw)
    }

    /// HF's resize target (`get_resize_output_image_size` with `default_to_square=False`, or
    /// `get_size_with_aspect_ratio` when `longest_edge` is set, or an explicit height × width).
    func resizedSize(height: Int, width: Int) -> (Int, Int) {
        let size = config.size
        if let edge = size.shortestEdge, let longest = size.longestEdge {
            return Self.sizeWithAspectRatio(height: height, width: width, size: edge, maxSize: longest)
        }
        if let edge = size.shortestEdge {
            let (short, long) = width <= height ? (width, height) : (height, width)
            let newLong = Int(Double(edge * long) / Double(short))
            return width <= height ? (newLong, edge) : (edge, newLong)
        }
        return (size.height ?? height, size.width ?? width)
    }

    static func sizeWithAspectRatio(height: Int, width: Int, size: Int, maxSize: Int) -> (Int, Int) {
        var size = size
        var rawSize: Double?
        let minOriginal = Double(min(height, width))
        let maxOriginal = Double(max(height, width))
        if maxOriginal / minOriginal * Double(size) > Double(maxSize) {
            let raw = Double(maxSize) * minOriginal / maxOriginal
            rawSize = raw
            size = Int(raw.rounded(.toNearestOrEven))
        }
        if (height <= width && height == size) || (width <= height && width == size) {
            return (height, width)
        }
        if width < height {
            let oh = rawSize.map { Int($0 * Double(height) / Double(width)) } ?? Int(Double(size * height) / Double(width))
            return (oh, size)
        }
        let ow = rawSize.map { Int($0 * Double(width) / Double(height)) } ?? Int(Double(size * width) / Double(height))
        return (size, ow)
    }
}
