/// An 8-bit RGB colour.
public struct RGBColor: Sendable, Hashable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }
}

/// A decoded image as PIL's `ImageOps.exif_transpose(image).convert("RGB")` yields it.
public struct DecodedImage: Sendable {
    /// Width in pixels (after EXIF orientation).
    public let width: Int
    /// Height in pixels (after EXIF orientation).
    public let height: Int
    /// RGB interleaved, row-major: `width * height * 3` bytes.
    public var pixels: [UInt8]
    /// The container the image came from.
    public let format: ImageFormat
    /// PIL's mode for the file as stored: "RGB", "RGBA", "L", "LA", "P", "1", "CMYK", "I;16".
    public let sourceMode: String
    /// The colour-key transparency PIL keeps in `info["transparency"]` after `convert("RGB")`
    /// (a palette image with one fully transparent entry, or a gray/RGB PNG with a tRNS key).
    /// Hugging Face's processor composites such images onto white, which turns every pixel of
    /// exactly this colour white; ``ImagePreprocessor`` does the same.
    public let transparentColor: RGBColor?

    /// Wraps RGB `pixels`; `nil` when the count is not `width * height * 3` or a side is < 1.
    public init?(
        width: Int, height: Int, pixels: [UInt8], format: ImageFormat, sourceMode: String = "RGB",
        transparentColor: RGBColor? = nil
    ) {
        guard width > 0, height > 0, width.multipliedReportingOverflow(by: height).overflow == false,
            pixels.count == width * height * 3
        else { return nil }
        self.init(validatedWidth: width, height: height, pixels: pixels, format: format,
                  sourceMode: sourceMode, transparentColor: transparentColor)
    }

    /// Internal initialiser for decoders that have already validated the geometry.
    init(
        validatedWidth width: Int, height: Int, pixels: [UInt8], format: ImageFormat,
        sourceMode: String, transparentColor: RGBColor?
    ) {
        self.width = width
        self.height = height
        self.pixels = pixels
        self.format = format
        self.sourceMode = sourceMode
        self.transparentColor = transparentColor
    }
}

/// Options for ``ImageDecoder``.
public struct ImageDecodingOptions: Sendable {
    /// Apply the EXIF orientation tag (values 2–8), as Hugging Face's pipeline does with
    /// `ImageOps.exif_transpose`. A bare `CLIPImageProcessor` and Spark NLP ignore it.
    public var appliesEXIFOrientation = true
    /// Refuse images with more pixels than this, before allocating any pixel buffer.
    /// Default: PIL's decompression-bomb error threshold, 2 × 89,478,485.
    public var maxPixelCount = 178_956_970
    /// How 16-bit grayscale PNGs become 8-bit.
    public var sixteenBitGray = SixteenBitGrayConversion.highByte

    /// 16-bit grayscale to 8-bit.
    public enum SixteenBitGrayConversion: Sendable {
        /// `value >> 8`: the sane scaling, and what PIL itself does for 16-bit RGB, RGBA and
        /// gray+alpha PNGs. The default (a documented deviation from PIL for 16-bit gray).
        case highByte
        /// `min(value, 255)`: PIL's `I;16` → `RGB` conversion, bit-exact with the reference
        /// but turns nearly every pixel of a real 16-bit photo white.
        case clipLikePIL
    }

    public init(
        appliesEXIFOrientation: Bool = true, maxPixelCount: Int = 178_956_970,
        sixteenBitGray: SixteenBitGrayConversion = .highByte
    ) {
        self.appliesEXIFOrientation = appliesEXIFOrientation
        self.maxPixelCount = maxPixelCount
        self.sixteenBitGray = sixteenBitGray
    }
}
