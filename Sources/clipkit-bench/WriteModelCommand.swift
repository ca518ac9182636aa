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

    func validate() throws {
        guard RandomModel.configuration(preset: preset) != nil else {
            throw ValidationError("unknown preset '\(preset)'; use b32 or l14")
        }
    }

    func run() throws {
        guard var configuration = RandomModel.configuration(preset: preset) else { return }
        if let layers {
            configuration.text.layerCount = layers
            configuration.vision.layerCount = layers
        }
        let directory = URL(fileURLWithPath: out)
        let bytes = try RandomModel.write(configuration, to: directory, seed: seed,
                                          tokenizerSource: URL(fileURLWithPath: tokenizerFrom))
        let ids = RandomModel.promptTokenIDs(count: prompts)
        try JSONSerialization.data(withJSONObject: ["token_ids": ids])
            .write(to: directory.appendingPathComponent("bench-prompts.json"))
        print("wrote \(preset) to \(directory.path): \(bytes / 1_000_000) MB of weights, \(prompts) prompts")
    }
}
