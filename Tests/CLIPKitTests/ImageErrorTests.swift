import Foundation
import Testing

@testable import CLIPKit

@Suite("Bad image files give typed errors")
struct ImageErrorTests {
    static func kind(_ error: ImageError) -> String {
        switch error {
        case .unreadable: "unreadable"
        case .empty: "empty"
        case .truncated: "truncated"
        case .unsupportedFormat: "unsupportedFormat"
        case .unsupportedFeature: "unsupportedFeature"
        case .corrupt: "corrupt"
        case .zeroSize: "zeroSize"
        case .tooManyPixels: "tooManyPixels"
        }
    }

    @Test("each bad file fails with the expected error, naming the file", arguments: ImageManifest.shared.bad)
    func badFile(_ item: ImageManifest.BadCase) throws {
        let url = ImageManifest.url(item.file)
        let start = threadCPUTime()
        do {
            _ = try ImageDecoder.decode(contentsOf: url)
            Issue.record("\(item.file) decoded without error")
        } catch let error as ImageError {
            #expect(Self.kind(error) == item.error, "\(item.file): \(error)")
            #expect(error.errorDescription?.contains(url.path) == true)
        }
        #expect(threadCPUTime() - start < .milliseconds(500))
    }

    @Test("a 60000×60000 PNG header is refused before any allocation")
    func bomb() throws {
        let url = ImageManifest.url("bad/bomb_60000.png")
        #expect(throws: ImageError.tooManyPixels(
            file: url.path, width: 60000, height: 60000, limit: 178_956_970)) {
            try ImageDecoder.decode(contentsOf: url)
        }
        // A lower limit applies to every format.
        let options = ImageDecodingOptions(maxPixelCount: 100)
        for file in ["decode/jpeg_420.jpg", "decode/gif_basic.gif", "decode/bmp_24.bmp", "decode/webp_lossy.webp"] {
            #expect(throws: ImageError.self) {
                try ImageDecoder.decode(contentsOf: ImageManifest.url(file), options: options)
            }
        }
    }

    @Test("a missing file is unreadable")
    func missingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/clipkit/missing.jpg")
        #expect {
            try ImageDecoder.decode(contentsOf: url)
        } throws: { error in
            guard case .unreadable(let path, _) = error as? ImageError else { return false }
            return path == url.path
        }
    }

    @Test("every prefix of a JPEG and a PNG fails cleanly or decodes")
    func prefixes() throws {
        for file in ["decode/jpeg_progressive.jpg", "decode/png_rgb8_interlaced.png", "decode/gif_basic.gif",
                     "decode/bmp_8.bmp", "decode/webp_lossy.webp"] {
            let bytes = try ImageManifest.bytes(file)
            for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
                do {
                    _ = try ImageDecoder.decode(Data(bytes[..<length]), name: "prefix")
                } catch let error as ImageError {
                    #expect(error.errorDescription?.hasPrefix("prefix:") == true)
                }
            }
        }
    }
}
