import Foundation
import Testing

@testable import CLIPKit

@Suite("Image decoding matches PIL")
struct ImageDecoderTests {
    @Test("manifest has every case")
    func manifestLoaded() {
        #expect(ImageManifest.shared.decode.count >= 50)
        let formats = Set(ImageManifest.shared.decode.map(\.format))
        #expect(formats == ["jpeg", "png", "gif", "bmp", "webp"])
    }

    @Test("decoded RGB is identical to PIL's load_image", arguments: ImageManifest.shared.decode)
    func decodedPixels(_ item: ImageManifest.DecodeCase) throws {
        // 16-bit gray: the golden is PIL's clip; clipkit's default is pinned separately below.
        let options = ImageDecodingOptions(sixteenBitGray: item.mode == "I;16" ? .clipLikePIL : .highByte)
        let image = try ImageDecoder.decode(contentsOf: ImageManifest.url(item.file), options: options)
        let golden = try ImageManifest.bytes(item.golden)
        #expect(image.width == item.width)
        #expect(image.height == item.height)
        #expect(image.format.rawValue == item.format)
        #expect(image.sourceMode == item.mode || (item.format == "gif" && image.sourceMode == "L"))
        let key = image.transparentColor.map { [Int($0.red), Int($0.green), Int($0.blue)] }
        #expect(key == item.transparentColor)
        try #require(image.pixels.count == golden.count)
        let diff = zip(image.pixels, golden).map { abs(Int($0) - Int($1)) }
        let mismatches = diff.filter { $0 != 0 }.count
        #expect(mismatches == 0, "\(item.file): \(mismatches) bytes differ, max |Δ| = \(diff.max() ?? 0)")
    }

    @Test("appliesEXIFOrientation=false keeps the stored pixels", arguments: 1...8)
    func orientationIgnored(_ orientation: Int) throws {
        var options = ImageDecodingOptions()
        options.appliesEXIFOrientation = false
        let image = try ImageDecoder.decode(
            contentsOf: ImageManifest.url("decode/exif_\(orientation).jpg"), options: options)
        let upright = try ImageManifest.bytes("decode/exif_1.jpg.rgb")
        #expect(image.width == 24 && image.height == 40)
        #expect(image.pixels == upright)
    }

    @Test("EXIF orientation is read from PNG eXIf and WebP EXIF too")
    func orientationInOtherContainers() throws {
        let png = try ImageDecoder.decode(contentsOf: ImageManifest.url("decode/exif_6.png"))
        #expect((png.width, png.height) == (40, 24))
        let webp = try ImageDecoder.decode(contentsOf: ImageManifest.url("decode/exif_3.webp"))
        #expect(webp.pixels == (try ImageManifest.bytes("decode/exif_3.webp.rgb")))
    }

    @Test("16-bit gray PNG keeps the high byte by default (deviation from PIL's clip)")
    func sixteenBitGrayDefault() throws {
        let url = ImageManifest.url("decode/png_gray16.png")
        let scaled = try ImageDecoder.decode(contentsOf: url)
        #expect(scaled.sourceMode == "I;16")
        #expect(scaled.pixels == (try ImageManifest.bytes("decode/png_gray16.png.highbyte.rgb")))
        let clipped = try ImageDecoder.decode(contentsOf: url, options: .init(sixteenBitGray: .clipLikePIL))
        #expect(clipped.pixels == (try ImageManifest.bytes("decode/png_gray16.png.rgb")))
        #expect(scaled.pixels != clipped.pixels)
    }

    @Test("format is chosen by content, not by file name")
    func sniffingIgnoresExtension() throws {
        let png = Data(try ImageManifest.bytes("decode/png_rgb8.png"))
        let image = try ImageDecoder.decode(png, name: "photo.jpg")
        #expect(image.format == .png)
    }

    @Test("DecodedImage's public initialiser validates the geometry")
    func publicInitialiser() {
        #expect(DecodedImage(width: 2, height: 1, pixels: [UInt8](repeating: 0, count: 6), format: .png) != nil)
        #expect(DecodedImage(width: 2, height: 1, pixels: [0, 0, 0], format: .png) == nil)
        #expect(DecodedImage(width: 0, height: 1, pixels: [], format: .png) == nil)
    }
}
