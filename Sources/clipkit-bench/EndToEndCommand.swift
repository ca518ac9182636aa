import ArgumentParser
import CLIPKit
import Foundation

/// `clipkit-bench end-to-end`: decode + preprocess + image tower + scoring over a folder of
/// images, through the same batch pipeline `clipkit classify` uses.
struct EndToEndCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "end-to-end",
        abstract: "Classify every image of a folder against the seed's nine labels; print images/s.",
        discussion: "The model and the label embeddings are prepared before timing, as a long-running service would; each timed run classifies the whole folder.")

    @Option(help: "Model folder (config.json, model.safetensors, vocab.json, merges.txt).")
    var model: String
    @Option(help: "Folder of images (every file is used).")
    var images: String
    @Option(help: "Images per forward pass.")
    var batchSize = 32
    @Option(help: "Minimum seconds spent timing (after one warm-up run).")
    var seconds = 10.0
    @Option(help: "BLAS threads (default: OpenBLAS's own choice).")
    var threads: Int?
    @Option(help: "Encoder-layer precision: fp32, bf16 or int8.")
    var precision: Precision = .fp32

    /// The labels of Spark NLP's example.
    static let labels = ["bird", "cat", "dog", "hen", "hippo", "room", "tractor", "ostrich", "ox"]

    func run() async throws {
        print(Measurement.machineDescription())
        if let threads { MatrixMultiplication.threadCount = threads }
        let folder = URL(fileURLWithPath: images, isDirectory: true)
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        guard !files.isEmpty else { throw ValidationError("no files in \(images)") }
        let pipeline = try CLIPPipeline(directory: URL(fileURLWithPath: model, isDirectory: true), precision: precision)
        let classifier = try ZeroShotClassifier(pipeline: pipeline, labels: Self.labels, template: "a photo of a {}")
        let inputs = files.map { ImageInput.file($0) }
        let options = BatchOptions(batchSize: batchSize)

        func classifyAll() async -> (done: Int, failed: Int) {
            var done = 0, failed = 0
            for await item in classifier.classifications(of: inputs, options: options) {
                if case .success = item.result { done += 1 } else { failed += 1 }
            }
            return (done, failed)
        }
        let warmUp = await classifyAll()
        var runs: [Double] = []
        let deadline = Measurement.now() + seconds
        while runs.count < 2 || Measurement.now() < deadline {
            let start = Measurement.now()
            _ = await classifyAll()
            runs.append(Measurement.now() - start)
        }
        runs.sort()
        let count = Double(files.count)
        print(String(format: "end to end: %.2f images/s (median %.2f, %d runs of %d images, %d unreadable), batch %d, peak RSS %@, %@",
                     count / runs[0], count / runs[runs.count / 2], runs.count, files.count, warmUp.failed,
                     batchSize, Measurement.megabytes(Measurement.peakResidentBytes()), precision.kernelDescription))
    }
}

extension Precision: ExpressibleByArgument {}
