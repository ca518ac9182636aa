import CLIPKitKernels
import Foundation
import Testing

@testable import CLIPKit

@Suite("Preprocessing matches CLIPImageProcessorPil")
struct ImagePreprocessorTests {
    static func config(_ item: ImageManifest.PreprocessCase) throws -> PreprocessorConfig {
        guard let dir = item.config else { return PreprocessorConfig() }
        return try PreprocessorConfig.load(fromDirectory: ImageManifest.url(dir))
    }

    @Test("resize + crop is identical to PIL (uint8)", arguments: ImageManifest.shared.preprocess)
    func resizeAndCrop(_ item: ImageManifest.PreprocessCase) throws {
        var config = try Self.config(item)
        config.doRescale = false
        config.doNormalize = false
        let image = try ImageDecoder.decode(contentsOf: ImageManifest.url(item.source))
        let tensor = ImagePreprocessor(config: config)(image)
        #expect(tensor.shape == item.shape)
        let golden = try ImageManifest.bytes(item.golden)
        try #require(tensor.count == golden.count)
        var mismatches = 0
        var worst = 0
        for (value, expected) in zip(tensor.scalars, golden) where value != Float(expected) {
            mismatches += 1
            worst = max(worst, abs(Int(value) - Int(expected)))
        }
        #expect(mismatches == 0, "\(item.case): \(mismatches) values differ, max |Δ| = \(worst)")
    }

    @Test(
        "normalised floats within 1e-6",
        arguments: ImageManifest.shared.preprocess.filter { $0.goldenFloat != nil })
    func normalised(_ item: ImageManifest.PreprocessCase) throws {
        let image = try ImageDecoder.decode(contentsOf: ImageManifest.url(item.source))
        let tensor = ImagePreprocessor(config: try Self.config(item))(image)
        let raw = try ImageManifest.bytes(try #require(item.goldenFloat))
        let golden = raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }.map { Float(bitPattern: $0.bitPattern.littleEndian) }
        try #require(tensor.count == golden.count)
        let worst = zip(tensor.scalars, golden).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-6, "\(item.case): max |Δ| = \(worst)")
    }

    /// The SSE4.1 horizontal pass equals the plain C one byte for byte, for every filter,
    /// down- and upscaling, narrow images (taps cut at both edges) and extreme pixels.
    @Test("the vector horizontal resampling pass equals the plain one", arguments: ResamplingFilter.allCases.filter { $0 != .nearest })
    func horizontalPassVariantsAgree(filter: ResamplingFilter) {
        var state: UInt64 = 7
        func byte() -> UInt8 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        for (width, outWidth) in [(37, 11), (500, 298), (5, 13), (1, 4), (64, 64 - 1), (3, 1)] {
            let rows = 3
            var source = (0..<(width * rows * 3)).map { _ in byte() }
            for i in 0..<(width * 3) { source[i] = i % 2 == 0 ? 255 : 0 }  // row 0: extremes
            let taps = Resampler.taps(inSize: width, outSize: outWidth, filter: filter, range: 0..<outWidth)
            var vector = [UInt8](repeating: 0, count: outWidth * rows * 3)
            var plain = vector
            clipkit_resample_horizontal_rgb(source, width * 3, rows, taps.start, taps.count, taps.weights,
                                            taps.kernelSize, outWidth, &vector)
            clipkit_resample_horizontal_rgb_reference(source, width * 3, rows, taps.start, taps.count,
                                                      taps.weights, taps.kernelSize, outWidth, &plain)
            #expect(vector == plain, "\(filter) \(width) → \(outWidth)")
        }
    }

    @Test("config files: defaults, int sizes, processor_config.json")
    func configs() throws {
        #expect(try PreprocessorConfig.load(fromDirectory: URL(fileURLWithPath: "/nonexistent")) == PreprocessorConfig())
        let nearest = try PreprocessorConfig.load(fromDirectory: ImageManifest.url("preprocess/configs/nearest48"))
        #expect(nearest.size == .init(shortestEdge: 48))
        #expect(nearest.cropSize == .init(height: 40, width: 40))
        #expect(nearest.resample == .nearest)
        let custom = try PreprocessorConfig.load(fromDirectory: ImageManifest.url("preprocess/configs/custom_norm"))
        #expect(custom.imageStd == [0.25, 0.5, 0.75])
        #expect(custom.rescaleFactor == 0.0039)
        let bad = Data(#"{"resample": 9}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(PreprocessorConfig.self, from: bad) }
    }

    @Test("batch slots: preprocess(into:) writes exactly one image and refuses a short buffer")
    func batchSlots() throws {
        let image = try ImageDecoder.decode(contentsOf: ImageManifest.url("preprocess/chelsea_300x200.jpg"))
        let processor = ImagePreprocessor(config: PreprocessorConfig())
        #expect(processor.outputShape == (3, 224, 224))
        let single = processor(image)
        var batch = [Float](repeating: .nan, count: 2 * 3 * 224 * 224)
        let ok = batch.withUnsafeMutableBufferPointer {
            processor.preprocess(image, into: UnsafeMutableBufferPointer(rebasing: $0[(3 * 224 * 224)...]))
        }
        #expect(ok)
        #expect(Array(batch[(3 * 224 * 224)...]) == single.scalars)
        #expect(batch[0].isNaN)
        var short = [Float](repeating: 0, count: 10)
        #expect(!short.withUnsafeMutableBufferPointer { processor.preprocess(image, into: $0) })
    }
}
