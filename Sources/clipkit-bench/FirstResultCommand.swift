import ArgumentParser
import CLIPKit
import Foundation

/// `clipkit-bench first-result`: load a model and embed one image and a few prompts, once.
/// `scripts/compare-peers.sh` times the whole process from the outside (cold start).
struct FirstResultCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "first-result",
        abstract: "Load a model folder, score one image against 9 prompts, print the time split.",
        discussion: "The printed peak RSS and the second pass are taken after the first result.")

    @Option(help: "Model folder (config.json + model.safetensors).")
    var model: String

    func run() throws {
        let start = Measurement.now()
        let clip = try CLIPModel(directory: URL(fileURLWithPath: model))
        let loaded = Measurement.now()
        let v = clip.configuration.vision
        let image = try clip.imageEmbeddings(pixels: RandomModel.pixels(count: 1, size: v.imageSize))
        let text = try clip.textEmbeddings(tokenIDs: RandomModel.promptTokenIDs(count: 9))
        let probabilities = ZeroShotScores.probabilities(
            logits: ZeroShotScores.logits(images: image, texts: text, logitScale: clip.logitScale))
        let done = Measurement.now()
        // The same work again: what the first pass paid for touching the mapped weights.
        _ = try clip.imageEmbeddings(pixels: RandomModel.pixels(count: 1, size: v.imageSize))
        _ = try clip.textEmbeddings(tokenIDs: RandomModel.promptTokenIDs(count: 9))
        let again = Measurement.now()
        print(String(format: "load %.3f s, first result %.3f s (same work again: %.3f s), top probability %.4f, peak RSS %@",
                     loaded - start, done - loaded, again - done, probabilities.scalars.max() ?? 0,
                     Measurement.megabytes(Measurement.peakResidentBytes())))
    }
}
