import Foundation
import Testing

@testable import CLIPKit

/// Issue 11's reported crashes and their siblings: values read from files that used to reach
/// unchecked arithmetic or were accepted silently.
@Suite("Overflow and absurd-value regressions")
struct OverflowRegressionTests {
    /// A PNG signature and an IHDR chunk declaring `width`×`height` (8-bit RGB), nothing else.
    static func pngHeader(width: UInt32, height: UInt32) -> Data {
        var ihdr = [UInt8]()
        for value in [width, height] { ihdr += withUnsafeBytes(of: value.bigEndian, Array.init) }
        ihdr += [8, 2, 0, 0, 0]
        var data = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13])
        data.append(contentsOf: Array("IHDR".utf8) + ihdr + [0, 0, 0, 0])
        return data
    }

    @Test("a PNG declaring 4294967295×4294967295 pixels is refused with a message, not a trap")
    func hugePNGHeaderMessage() throws {
        let data = Self.pngHeader(width: .max, height: .max)
        #expect {
            try ImageDecoder.decode(data, name: "huge.png")
        } throws: { error in
            guard case .tooManyPixels(let file, let width, let height, _) = error as? ImageError else { return false }
            let message = (error as? ImageError)?.errorDescription ?? ""
            return file == "huge.png" && width == 4_294_967_295 && height == 4_294_967_295
                && message == "huge.png: 4294967295×4294967295 = more than \(Int.max) pixels exceeds the limit of 178956970"
        }
    }

    @Test("the tooManyPixels message gives the product when it fits")
    func tooManyPixelsMessageProduct() {
        let error = ImageError.tooManyPixels(file: "f", width: 60000, height: 60000, limit: 10)
        #expect(error.errorDescription == "f: 60000×60000 = 3600000000 pixels exceeds the limit of 10")
        let negative = ImageError.tooManyPixels(file: "f", width: Int.max, height: Int.max, limit: 10)
        #expect(negative.errorDescription?.contains("more than") == true)
    }

    @Test("with no pixel limit, a huge header is still refused before allocating")
    func noLimitStillChecked() {
        let options = ImageDecodingOptions(maxPixelCount: .max)
        #expect(throws: ImageError.self) {
            try ImageDecoder.decode(Self.pngHeader(width: .max, height: .max), name: "x.png", options: options)
        }
    }

    /// A BMP whose header declares `width`×`height` at 32 bits per pixel and carries no pixels.
    static func bmpHeader(width: Int32, height: Int32) -> Data {
        var d = Data("BM".utf8)
        func u32(_ v: UInt32) { d.append(contentsOf: withUnsafeBytes(of: v.littleEndian, Array.init)) }
        func u16(_ v: UInt16) { d.append(contentsOf: withUnsafeBytes(of: v.littleEndian, Array.init)) }
        u32(54); u32(0); u32(54)  // file size, reserved, pixel offset
        u32(40); u32(UInt32(bitPattern: width)); u32(UInt32(bitPattern: height))
        u16(1); u16(32); u32(0); u32(0); u32(0); u32(0); u32(0); u32(0)
        return d
    }

    @Test("a BMP whose row stride × height exceeds the file is truncated, for any header size")
    func bmpStride() {
        let options = ImageDecodingOptions(maxPixelCount: .max)
        for (w, h) in [(Int32.max, Int32.min), (Int32.max, 1), (1, Int32.max), (65536, -65536)] {
            #expect(throws: ImageError.self) {
                try ImageDecoder.decode(Self.bmpHeader(width: w, height: h), name: "b.bmp", options: options)
            }
        }
    }

    @Test("the checked product helper")
    func checkedProduct() {
        #expect(Checked.product(3, 4, 5) == 60)
        #expect(Checked.product(Int.max, 2) == nil)
        #expect(Checked.product(-1, 2) == nil)
        #expect(Checked.product(0, Int.max, Int.max) == 0)
        #expect(Checked.sum(Int.max, 1) == nil)
    }

    // MARK: preprocessor_config.json

    /// A model folder with the tiny model and `preprocessor_config.json` replaced by `json`.
    static func tinyModel(preprocessor json: String) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory()
        let source = Fixtures.url("models/tiny-clip")
        for name in ["config.json", "model.safetensors", "vocab.json", "merges.txt"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: dir.url.appendingPathComponent(name))
        }
        try dir.write("preprocessor_config.json", Data(json.utf8))
        return dir
    }

    static func loadError(preprocessor json: String) throws -> String? {
        let dir = try tinyModel(preprocessor: json)
        do {
            _ = try CLIPPipeline(directory: dir.url)
            return nil
        } catch {
            let path = dir.url.appendingPathComponent("preprocessor_config.json").path
            return (error as? LocalizedError)?.errorDescription?.replacingOccurrences(of: path, with: "P")
        }
    }

    @Test("crop_size 0 and shortest_edge 0 fail at load with one clear line", arguments: [
        (#"{"crop_size": 0, "size": {"shortest_edge": 0}}"#,
         #"invalid model configuration P: size {"shortest_edge": 0} must have edges between 1 and 16384"#),
        (#"{"crop_size": 0, "size": 224}"#,
         #"invalid model configuration P: crop_size {"height": 0, "width": 0} must have edges between 1 and 16384"#),
        (#"{"crop_size": {"height": 224, "width": -1}, "size": 224}"#,
         #"invalid model configuration P: crop_size {"height": 224, "width": -1} must have edges between 1 and 16384"#),
        (#"{"crop_size": 224, "size": 9223372036854775807}"#,
         #"invalid model configuration P: size {"shortest_edge": 9223372036854775807} must have edges between 1 and 16384"#),
        (#"{"crop_size": 224, "size": {"shortest_edge": 224, "longest_edge": 0}}"#,
         #"invalid model configuration P: size {"shortest_edge": 224, "longest_edge": 0} must have edges between 1 and 16384"#),
        (#"{"crop_size": 224, "size": {"width": 224}}"#,
         #"invalid model configuration P: size needs shortest_edge, or height and width"#),
        (#"{"crop_size": {"height": 224}, "size": 224}"#,
         #"invalid model configuration P: crop_size needs height and width"#),
        (#"{"crop_size": 224, "size": 224, "image_std": [0.2, 0, 0.2]}"#,
         #"invalid model configuration P: image_mean must be finite and image_std finite and non-zero"#),
        (#"{"crop_size": 224, "size": 224, "image_mean": [0.2, 0.2]}"#,
         #"invalid model configuration P: image_mean: expected 3 values"#),
        (#"{"crop_size": "large", "size": 224}"#,
         #"invalid model configuration P: crop_size: expected Dictionary<String, Any>"#),
        (#"{"crop_size": 224, "size": 224"#,
         #"invalid model configuration P: not valid JSON"#),
    ])
    func badPreprocessorConfig(_ json: String, _ expected: String) throws {
        let message = try Self.loadError(preprocessor: json)
        #expect(message == expected)
    }

    @Test("do_center_crop false ignores crop_size; do_resize false ignores size")
    func unusedSizesAreNotChecked() {
        var config = PreprocessorConfig()
        config.doCenterCrop = false
        config.cropSize = .init(height: 0, width: 0)
        #expect(config.problem == nil)
        config.doResize = false
        config.size = .init(shortestEdge: 0)
        #expect(config.problem == nil)
    }

    @Test("a pipeline assembled from a programmatic config with a zero size is refused")
    func programmaticConfig() throws {
        let dir = try Self.tinyModel(preprocessor: #"{"crop_size": 224, "size": 224}"#)
        let good = try CLIPPipeline(directory: dir.url)
        var config = good.preprocessor.config
        config.size = .init(shortestEdge: 0)
        #expect(throws: PipelineError.invalidPreprocessorConfig(
            reason: #"size {"shortest_edge": 0} must have edges between 1 and 16384"#)) {
            try CLIPPipeline(model: good.model, tokenizer: good.tokenizer, preprocessor: ImagePreprocessor(config: config))
        }
    }
}

/// Found by fuzzing (FuzzImage, LeakSanitizer): libpng's error longjmp skipped the free of the
/// row-pointer array (a non-volatile local assigned after setjmp), leaking 8 bytes × height on
/// every PNG whose pixel data is corrupt.
@Suite("Fuzz finding: PNG row array leak")
struct PNGLeakRegressionTests {
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// The leak only shows when the C glue is optimised (at -O0 the local keeps its value across
    /// the longjmp), so this catches it in release test runs (`swift test -c release`); the fuzz
    /// target (LeakSanitizer, with this file's input among its seeds) guards the debug side.
    /// Under AddressSanitizer freed memory sits in quarantine, so RSS says nothing there.
    @Test("decoding a tall PNG with corrupt pixel data 200 times does not grow memory by its row arrays",
          .disabled(if: ProcessInfo.processInfo.environment["ASAN_OPTIONS"] != nil, "ASan quarantines freed memory"))
    func corruptTallPNGDoesNotLeak() throws {
        // 1 × 60000: the row array is 480 KB, so 200 leaks would be ~96 MB.
        var png = BadInputTests.png(width: 1, height: 60000)
        let idat = try #require(png.range(of: Data("IDAT".utf8)))
        // Corrupt the deflate data a little way in (CRCs are not checked for IDAT by default
        // as errors, but the zlib stream fails), keeping the file's length.
        for i in (idat.upperBound + 200)..<(idat.upperBound + 260) { png[i] = 0xFF }
        let options = ImageDecodingOptions()
        for _ in 0..<20 { _ = try? ImageDecoder.decode(png, name: "warm-up.png", options: options) }
        let before = Self.residentBytes()
        var failures = 0
        for _ in 0..<200 {
            do { _ = try ImageDecoder.decode(png, name: "corrupt.png", options: options) } catch { failures += 1 }
        }
        #expect(failures == 200, "the corrupt PNG must fail to decode for this test to mean anything")
        let grown = Self.residentBytes() - before
        #expect(grown < 40 << 20, "resident memory grew by \(grown >> 20) MB")
    }
}
