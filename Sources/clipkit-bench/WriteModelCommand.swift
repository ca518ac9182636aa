import ArgumentParser
import CLIPKit
import Foundation

/// `clipkit-bench write-model`: a random-weight model folder the peers can load too.
struct WriteModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write-model",
        abstract: "Write a random-weight CLIP model in Hugging Face layout (config.json + model.safetensors).")

    @Option(help: "Model shape: b32 (ViT-B/32) or l14 (ViT-L/14).")
    var preset = "b32"

    @Option(help: "Folder to write (created if needed).")
    var out: String

    @Option(help: "Seed of the pseudo-random weights.")
    var seed: UInt64 = 0

    @Option(help: "Folder whose tokenizer files (vocab.json, merges.txt, ...) are copied when present.")
    var tokenizerFrom = "Tests/Fixtures/models/tiny-clip"

    @Option(help: "Override the layer count of both towers (a cheap model for profiling).")
    var layers: Int?

    @Option(help: "How many benchmark prompts to write to bench-prompts.json.")
    var prompts = 1000

    @Option(help: "Outlier channels: this many hidden dimensions get their layer_norm1/layer_norm2 weights multiplied by --outlier-scale in every encoder layer (CLIP-like massive activations).")
    var outliers = 0

    @Option(help: "Factor of the outlier channels' layer-norm weights.")
    var outlierScale: Float = 50

    func validate() throws {
        guard RandomModel.configuration(preset: preset) != nil else {
            throw ValidationError("unknown preset '\(preset)'; use b32 or l14")
        }
        guard outliers >= 0, outliers <= 64 else { throw ValidationError("--outliers must be 0...64") }
        guard outlierScale.isFinite, outlierScale > 0 else { throw ValidationError("--outlier-scale must be positive") }
    }

    func run() throws {
        guard var configuration = RandomModel.configuration(preset: preset) else { return }
        if let layers {
            configuration.text.layerCount = layers
            configuration.vision.layerCount = layers
        }
        let directory = URL(fileURLWithPath: out)
        let bytes = try RandomModel.write(configuration, to: directory, seed: seed,
                                          tokenizerSource: URL(fileURLWithPath: tokenizerFrom),
                                          outliers: RandomModel.Outliers(count: outliers, scale: outlierScale))
        let ids = RandomModel.promptTokenIDs(count: prompts)
        try JSONSerialization.data(withJSONObject: ["token_ids": ids])
            .write(to: directory.appendingPathComponent("bench-prompts.json"))
        let note = outliers > 0 ? ", \(outliers) outlier channels ×\(outlierScale)" : ""
        print("wrote \(preset) to \(directory.path): \(bytes / 1_000_000) MB of weights, \(prompts) prompts\(note)")
    }
}
