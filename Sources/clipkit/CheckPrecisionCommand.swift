import ArgumentParser
import CLIPKit
import Foundation

/// `clipkit check-precision`: how far bf16 and int8 move a model's outputs from fp32, on the
/// user's own model and images.
struct CheckPrecisionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-precision",
        abstract: "Compare bf16 and int8 with fp32 on your model and images.",
        discussion: """
            Loads the model in fp32 and in each reduced precision (both bf16 and int8, or only \
            --precision when given), runs the images and labels through each, and prints the cosine \
            similarity to fp32 of every image-tower layer's output (over all tokens), of the final \
            image and text embeddings (minimum and mean), and how many images keep their fp32 best \
            label. Cosines of 0.999 and above mean the reduced precision is safe for zero-shot use; \
            compare top-1 agreement on images like yours.
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .customLong("label"), help: ArgumentHelp("A candidate label for the top-1 check (repeatable; default: 9 generic labels).", valueName: "text"))
    var labels: [String] = []

    @Option(help: ArgumentHelp("UTF-8 file with one label per line.", valueName: "file"))
    var labelsFile: String?

    @Option(help: "Prompt template; {} is replaced by each label (default: the model family's, {} for CLIP, \"This is a photo of {}.\" for SigLIP).")
    var template: String?

    @Argument(help: ArgumentHelp("Image files or directories.", valueName: "path"))
    var paths: [String]

    static let defaultLabels = ["a photo of a bird", "a photo of a cat", "a photo of a dog", "a photo of a hen",
                                "a photo of a hippo", "a photo of a room", "a photo of a tractor",
                                "a photo of an ostrich", "a photo of an ox"]

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give at least one image file or directory") }
        if let template, !template.contains("{}") { throw ValidationError("--template must contain {} where the label goes") }
    }

    func run() async throws {
        var candidateLabels = labels
        if let labelsFile { candidateLabels += try LabelsFile.labels(atPath: labelsFile) }
        if candidateLabels.isEmpty { candidateLabels = Self.defaultLabels }
        if let threads = modelOptions.threads { CLIPKitRuntime.setThreadCount(threads) }
        let directory: URL
        let pipeline: CLIPPipeline
        do {
            directory = try await ModelLocator.resolve(modelOptions.model)
            pipeline = try CLIPPipeline(directory: directory)
        } catch {
            throw CLIError("cannot load model '\(modelOptions.model)': \(describe(error))")
        }

        // Decode and preprocess every image into one batch; unreadable files are reported.
        var decoding = ImageDecodingOptions()
        decoding.appliesEXIFOrientation = !modelOptions.noExif
        var scalars: [Float] = []
        var names: [String] = []
        for input in InputEnumerator(recursive: false).inputs(for: paths) {
            do {
                let image = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: input.path), options: decoding)
                scalars += pipeline.preprocessor(image).scalars
                names.append(input.path)
            } catch {
                Console.warn("\(input.path): \(describe(error))")
            }
        }
        guard !names.isEmpty else { throw CLIError("no readable images") }
        let v = pipeline.model.visionInput
        guard let pixels = Tensor(shape: [names.count, v.channelCount, v.imageSize, v.imageSize], scalars: scalars) else {
            throw CLIError("preprocessed images do not match the model's input size")
        }
        let template = self.template ?? pipeline.family.defaultTemplate
        // Unpadded: the check compares the towers of two precisions on the same ids.
        let tokenIDs = candidateLabels.map { pipeline.tokenize(template.replacingOccurrences(of: "{}", with: $0)).ids }

        let precisions: [Precision] = modelOptions.precision == .fp32 ? [.bf16, .int8] : [modelOptions.precision]
        let reports: [PrecisionReport]
        do {
            let candidates = try precisions.map { try pipeline.family.loadModel(directory: directory, precision: $0) }
            reports = try PrecisionCheck.compare(candidates, with: pipeline.model, pixels: pixels, labelTokenIDs: tokenIDs)
        } catch {
            throw CLIError("cannot compare precisions: \(describe(error))")
        }
        print("model \(directory.path) (\(pipeline.family.rawValue)): \(reports.first?.layers.count ?? 0) vision layers; \(names.count) images, \(candidateLabels.count) labels")
        print(Self.summary(reports))
        print(Self.layerTable(reports))
    }

    static func format(_ c: PrecisionReport.Cosines) -> String {
        String(format: "%.6f / %.6f", c.minimum, c.mean)
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text.padding(toLength: width, withPad: " ", startingAt: 0)
    }

    /// One line per precision: worst layer, image and text embeddings, top-1 agreement.
    static func summary(_ reports: [PrecisionReport]) -> String {
        // The kernel column fits the longest name ("int8 avx512-vnni (12-bit activations)").
        let kernelWidth = max(22, reports.map(\.kernel.count).max() ?? 0)
        var lines = [pad("precision", 10) + " " + pad("kernel", kernelWidth) + " "
                     + "worst layer min    image emb min / mean   text emb min / mean    top-1"]
        for r in reports {
            let worst = r.layers.map(\.minimum).min() ?? 1
            lines.append(pad(r.precision.rawValue, 10) + " " + pad(r.kernel, kernelWidth) + " "
                         + pad(String(format: "%.6f", worst), 18) + " " + pad(format(r.imageEmbeddings), 22) + " "
                         + pad(format(r.textEmbeddings), 22) + " \(r.topOneMatches)/\(r.imageCount)")
        }
        return lines.joined(separator: "\n")
    }

    /// Per layer: min / mean cosine of each precision.
    static func layerTable(_ reports: [PrecisionReport]) -> String {
        var header = "layer"
        for r in reports { header += "  " + "\(r.precision.rawValue) min / mean".padding(toLength: 22, withPad: " ", startingAt: 0) }
        var lines = [header]
        let count = reports.map(\.layers.count).max() ?? 0
        for layer in 0..<count {
            var line = String(format: "%5d", layer + 1)
            for r in reports where layer < r.layers.count { line += "  " + format(r.layers[layer]).padding(toLength: 22, withPad: " ", startingAt: 0) }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
