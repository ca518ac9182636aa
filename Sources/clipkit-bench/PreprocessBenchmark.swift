import ArgumentParser
import CLIPKit
import Foundation

/// `clipkit-bench preprocess`: decode + preprocess time per image on one core.
struct PreprocessBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess",
        abstract: "Time image decoding and CLIP preprocessing (single thread).")

    @Argument(help: "Image file (default: the 500×375 JPEG fixture).")
    var image = "Tests/Fixtures/images/preprocess/coffee_500x375.jpg"

    @Option(help: "Timed iterations.")
    var iterations = 200

    func run() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: image))
        let processor = ImagePreprocessor(config: PreprocessorConfig())
        var buffer = [Float](repeating: 0, count: 3 * 224 * 224)
        var decoded = try ImageDecoder.decode(data, name: image)
        for _ in 0..<10 {  // warm-up
            decoded = try ImageDecoder.decode(data, name: image)
            buffer.withUnsafeMutableBufferPointer { _ = processor.preprocess(decoded, into: $0) }
        }
        let clock = ContinuousClock()
        var decodeTime = Duration.zero
        var preprocessTime = Duration.zero
        for _ in 0..<iterations {
            let start = clock.now
            decoded = try ImageDecoder.decode(data, name: image)
            let middle = clock.now
            buffer.withUnsafeMutableBufferPointer { _ = processor.preprocess(decoded, into: $0) }
            preprocessTime += clock.now - middle
            decodeTime += middle - start
        }
        func ms(_ d: Duration) -> Double {
            Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15
        }
        let n = Double(iterations)
        print(String(
            format: "%@ (%d×%d): decode %.3f ms + preprocess %.3f ms = %.3f ms/image (%d iterations, 1 thread)",
            image, decoded.width, decoded.height, ms(decodeTime) / n, ms(preprocessTime) / n,
            (ms(decodeTime) + ms(preprocessTime)) / n, iterations))
    }
}
