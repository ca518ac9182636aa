import CLIPKit

/// Raw 8-bit pixel buffers as Spark's `format("image")` source gives them (OpenCV layout:
/// row-major, B G R [A] or gray), turned into the RGB images the preprocessor reads.
enum RawImage {
    /// Byte order of 3- and 4-channel buffers.
    enum ChannelOrder: Int32, Sendable {
        case bgr = 0, rgb = 1
    }

    /// An RGB ``DecodedImage`` from `bytes` (`height × width × channels`, row-major). Gray is
    /// replicated into three channels; a fourth (alpha) channel is dropped without compositing,
    /// as PIL's `convert("RGB")` does. Throws `ABIError.image` for inconsistent geometry.
    static func decode(
        _ bytes: UnsafeBufferPointer<UInt8>, height: Int, width: Int, channels: Int, order: ChannelOrder,
        name: String, maxPixelCount: Int
    ) throws -> DecodedImage {
        guard height > 0, width > 0 else {
            throw ABIError.image("\(name): invalid image size \(width)×\(height) (Spark marks images it could not decode with -1)")
        }
        guard [1, 3, 4].contains(channels) else {
            throw ABIError.image("\(name): \(channels) channels; expected 1 (gray), 3 or 4")
        }
        let (pixelCount, overflow) = height.multipliedReportingOverflow(by: width)
        guard !overflow, pixelCount <= maxPixelCount else {
            throw ABIError.image("\(name): \(width)×\(height) exceeds the limit of \(maxPixelCount) pixels")
        }
        guard bytes.count == pixelCount * channels, let src = bytes.baseAddress else {
            throw ABIError.image("\(name): \(bytes.count) bytes of pixel data, expected \(height)×\(width)×\(channels) = \(pixelCount * channels)")
        }
        var rgb = [UInt8](repeating: 0, count: pixelCount * 3)
        rgb.withUnsafeMutableBufferPointer { out in
            guard let dst = out.baseAddress else { return }
            switch (channels, order) {
            case (1, _):
                for i in 0..<pixelCount {
                    let v = src[i]
                    dst[3 * i] = v
                    dst[3 * i + 1] = v
                    dst[3 * i + 2] = v
                }
            case (_, .bgr):
                for i in 0..<pixelCount {
                    dst[3 * i] = src[channels * i + 2]
                    dst[3 * i + 1] = src[channels * i + 1]
                    dst[3 * i + 2] = src[channels * i]
                }
            case (_, .rgb):
                for i in 0..<pixelCount {
                    dst[3 * i] = src[channels * i]
                    dst[3 * i + 1] = src[channels * i + 1]
                    dst[3 * i + 2] = src[channels * i + 2]
                }
            }
        }
        let mode = channels == 1 ? "L" : channels == 3 ? "RGB" : "RGBA"
        // DecodedImage records a container format; raw rows are closest to BMP's uncompressed ones.
        guard let image = DecodedImage(width: width, height: height, pixels: rgb, format: .bmp, sourceMode: mode) else {
            throw ABIError.image("\(name): invalid image geometry")
        }
        return image
    }
}
