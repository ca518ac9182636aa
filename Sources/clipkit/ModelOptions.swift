import ArgumentParser
import CLIPKit

/// Options every command that runs a model shares.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Model folder, Hugging Face Hub id, or Spark NLP name (zero_shot_classifier_clip_vit_base_patch32, clip_vit_large_patch14).",
        valueName: "id-or-dir"))
    var model = "openai/clip-vit-base-patch32"

    @Option(help: "Images per model call.")
    var batchSize = 8

    @Option(help: "Threads for matrix products and image decoding (default: all cores).")
    var threads: Int?

    @Option(help: "Arithmetic of the encoder layers: fp32 (exact), bf16 or int8 (faster; see `clipkit check-precision`).")
    var precision: Precision = .fp32

    @Flag(help: "Ignore EXIF orientation (by default images are rotated as their EXIF tag says).")
    var noExif = false

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// Applies `--threads` and loads the model, its packed weights kept in the packed-weight
    /// cache unless `weightCache` is false (`--no-cache`) or `CLIPKIT_WEIGHT_CACHE=0`; a failure
    /// is a one-line ``CLIError``.
    func loadPipeline(weightCache: Bool = true) async throws -> CLIPPipeline {
        if let threads { CLIPKitRuntime.setThreadCount(threads) }
        do {
            return try await CLIPPipeline.load(model, precision: precision,
                                               weightCache: weightCache ? PackedWeightCache.standard() : nil)
        } catch {
            throw CLIError("cannot load model '\(model)': \(describe(error))")
        }
    }

    /// Batch settings from the options; `progress` receives each batch's progress.
    func batchOptions(progress: (@Sendable (BatchProgress) -> Void)?) -> BatchOptions {
        var decoding = ImageDecodingOptions()
        decoding.appliesEXIFOrientation = !noExif
        var options = BatchOptions(batchSize: batchSize, decoding: decoding, progress: progress)
        if let threads { options.decodingConcurrency = threads }
        return options
    }
}

extension Precision: ExpressibleByArgument {}
