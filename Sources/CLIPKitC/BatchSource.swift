import CLIPKit
import Foundation

/// The images of one batch call, borrowed from the C caller: either encoded files or raw pixel
/// buffers, both laid out as an Arrow binary column (one data buffer, count + 1 offsets).
///
/// `@unchecked Sendable`: it holds the caller's pointers, which are valid and unchanged for the
/// whole call and only read, so reading them from several decoding threads is safe.
struct BatchSource: @unchecked Sendable {
    enum Kind {
        case encoded
        case pixels(heights: UnsafePointer<Int32>, widths: UnsafePointer<Int32>, channels: UnsafePointer<Int32>,
                    order: RawImage.ChannelOrder)
    }

    let count: Int
    let data: UnsafePointer<UInt8>?
    let offsets: UnsafePointer<Int64>
    let kind: Kind

    /// Checks the counts and pointers; throws `invalidArgument`. Offsets are checked per item.
    init(count: Int64, data: UnsafePointer<UInt8>?, offsets: UnsafePointer<Int64>?, kind: Kind) throws {
        guard count >= 0, let c = Int(exactly: count) else { throw ABIError.invalidArgument("count must not be negative, got \(count)") }
        guard let offsets else { throw ABIError.invalidArgument("offsets is NULL") }
        guard c == 0 || data != nil || offsets[c] == offsets[0] else { throw ABIError.invalidArgument("data is NULL") }
        self.count = c
        self.data = data
        self.offsets = offsets
        self.kind = kind
    }

    /// Item `index`'s image, decoded (encoded bytes) or converted (pixels). Throws `ABIError`.
    func image(at index: Int, decoding: ImageDecodingOptions) throws -> DecodedImage {
        let start = offsets[index]
        let end = offsets[index + 1]
        let name = "item \(index)"
        guard start >= 0, end >= start, let lower = Int(exactly: start), let upper = Int(exactly: end) else {
            throw ABIError.invalidArgument("\(name): offsets \(start)..<\(end) are not a valid range")
        }
        let bytes = UnsafeBufferPointer(start: data.map { $0 + lower }, count: upper - lower)
        switch kind {
        case .encoded:
            do {
                // Data(bytesNoCopy:) would avoid this copy, but decoders may keep the Data
                // beyond the call in errors; the copy is small next to decoding.
                return try ImageDecoder.decode(Data(bytes), name: name, options: decoding)
            } catch {
                throw ABIError(error)
            }
        case .pixels(let heights, let widths, let channels, let order):
            return try RawImage.decode(
                bytes, height: Int(heights[index]), width: Int(widths[index]), channels: Int(channels[index]),
                order: order, name: name, maxPixelCount: decoding.maxPixelCount)
        }
    }
}
