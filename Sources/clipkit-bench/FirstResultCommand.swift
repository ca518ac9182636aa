import ArgumentParser
import CLIPKit
import Foundation

/// `clipkit-bench first-result`: load a model and embed one image and a few prompts, once.
/// `scripts/compare-peers.sh` times the whole process from the outside (cold start).
struct FirstResultCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "first-result",
        abstract: "Load a model folder, score one image against 9 prompts, print the time split.",
        discussion: """
            The printed peak RSS and the second pass are taken after the first result. int8, bf16 and \
            packed fp32 layers come from the packed-weight cache when it holds them \
            (CLIPKIT_WEIGHT_CACHE=0: pack at load, as a first run does).
            """)

    @Option(help: "Model folder (config.json + model.safetensors), of any family (CLIP, SigLIP).")
    var model: String

    @Option(help: "Encoder-layer precision: fp32, bf16 or int8.")
    var precision: Precision = .fp32

    func run() throws {
        let start = Measurement.now()
        let loaded = try ModelFamily.loadModel(directory: URL(fileURLWithPath: model), precision: precision)
        let loadedAt = Measurement.now()
        let size = loaded.visionInput.imageSize
        // CLIP's random prompts; other vocabularies get short runs of low ids, valid in any of them.
        let prompts = loaded is CLIPModel
            ? RandomModel.promptTokenIDs(count: 9)
            : (0..<9).map { i in (0..<(4 + i % 3)).map { 2 + (7 * i + $0) % 500 } }
        let image = try loaded.imageEmbeddings(pixels: RandomModel.pixels(count: 1, size: size))
        let text = try loaded.textEmbeddings(tokenIDs: prompts)
        let logits = ZeroShotScores.logits(images: image, texts: text, logitScale: loaded.logitScale)
        let done = Measurement.now()
        // The same work again: what the first pass paid for touching the mapped weights.
        _ = try loaded.imageEmbeddings(pixels: RandomModel.pixels(count: 1, size: size))
        _ = try loaded.textEmbeddings(tokenIDs: prompts)
        let again = Measurement.now()
        print(String(format: "load %.3f s (%@), first result %.3f s (same work again: %.3f s), top logit %.4f, peak RSS %@, %@",
                     loadedAt - start, precision.kernelDescription, done - loadedAt, again - done,
                     logits.scalars.max() ?? 0, Measurement.megabytes(Measurement.peakResidentBytes()),
                     Self.describe(loaded.packedWeightLoad)))
    }

    /// The packed-weight cache's part in the load, in a few words.
    static func describe(_ load: PackedWeightLoad) -> String {
        guard load.path != nil else { return "no packed-weight cache" }
        if load.isHit { return "\(load.layersFromCache) layers mapped from the packed-weight cache" }
        let written = load.wroteFile ? "written to the cache" : "not cached"
        let trouble = load.problems.isEmpty ? "" : " (\(load.problems.joined(separator: "; ")))"
        return "\(load.layersPacked) layers packed, \(written)\(trouble)"
    }
}
