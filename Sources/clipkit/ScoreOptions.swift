import ArgumentParser
import CLIPKit

extension ZeroShotScoreKind: ExpressibleByArgument {}

/// Which scores `classify` reports, and multi-label selection.
struct ScoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "softmax: probabilities over the labels (sum to 1; CLIP's default). sigmoid: a probability per label, independent of the others (SigLIP's default). cosine: raw cosine similarity. logit: exp(logit_scale) * cosine + logit_bias. Default: the model family's, as transformers' pipeline reports.",
        valueName: "kind"))
    var scores: ZeroShotScoreKind?

    @Flag(help: "Report every label scoring at least --threshold (several objects in one image); best with --scores sigmoid, cosine or logit.")
    var multiLabel = false

    @Option(help: ArgumentHelp("Score a label needs for --multi-label (in the units of --scores).", valueName: "T"))
    var threshold: Float?

    func validate() throws {
        if multiLabel, threshold == nil { throw ValidationError("--multi-label needs --threshold T") }
        if threshold != nil, !multiLabel { throw ValidationError("--threshold needs --multi-label") }
        if let threshold, !threshold.isFinite { throw ValidationError("--threshold must be a finite number") }
    }

    /// The multi-label threshold, or `nil` for single-label output.
    var selectionThreshold: Float? { multiLabel ? threshold : nil }
}
