import ArgumentParser
import CLIPKit
import Foundation

/// How labels become prompts (templates, ensembles) and whether their embeddings are cached;
/// shared by `classify` and `evaluate`.
struct PromptOptions: ParsableArguments {
    @Option(name: .customLong("template"), help: ArgumentHelp(
        "Prompt template; {} is replaced by each label, e.g. \"This is a photo of {}.\" Repeatable: several templates make an ensemble (default: the model family's, {} for CLIP, \"This is a photo of {}.\" for SigLIP).",
        valueName: "text"))
    var templates: [String] = []

    @Option(name: .customLong("templates"), help: ArgumentHelp(
        "A template set for an ensemble: openai-imagenet (80 templates), simple-imagenet (7), or a file with one template per line. Combined with any --template.",
        valueName: "name-or-file"))
    var templateSet: String?

    @Flag(help: "Do not read or write the caches ($XDG_CACHE_HOME/clipkit, default ~/.cache/clipkit): text embeddings and packed weights.")
    var noCache = false

    func validate() throws {
        _ = try resolvedTemplates()
    }

    /// The --templates set's templates, then every --template; `defaultTemplate` alone when
    /// neither is given (the model family's, ``ModelFamily/defaultTemplate``).
    func resolvedTemplates(defaultTemplate: String = "{}") throws -> [String] {
        var all = [String]()
        if let templateSet {
            do {
                all += try PromptTemplateSet.resolve(templateSet).templates
            } catch {
                throw ValidationError(describe(error))
            }
        }
        all += templates
        if all.isEmpty { all = [defaultTemplate] }
        do {
            try ZeroShotClassifier.validate(templates: all)
        } catch {
            throw ValidationError("--template must contain {} where the label goes: \(describe(error))")
        }
        return all
    }

    /// The cache, unless --no-cache.
    func cache() -> TextEmbeddingCache? {
        noCache ? nil : TextEmbeddingCache()
    }

    /// Builds the classifier, warning about truncated prompts and cache trouble.
    func classifier(pipeline: CLIPPipeline, labels: [String]) throws -> ZeroShotClassifier {
        let templates = try resolvedTemplates(defaultTemplate: pipeline.family.defaultTemplate)
        let prompts = labels.count * templates.count
        if prompts >= 1000 {  // minutes of text tower on a first run: say what is happening
            Console.writeError("clipkit: \(prompts) prompts (\(labels.count) labels × \(templates.count) templates)"
                               + (noCache ? "\n" : "; encoded once, then read from the cache\n"))
        }
        let classifier = try ZeroShotClassifier(pipeline: pipeline, labels: labels, templates: templates, cache: cache())
        for label in classifier.truncatedLabels {
            Console.warn("a prompt for label '\(label)' is longer than \(pipeline.model.textContextLength) tokens; truncated as \(pipeline.family.displayName)'s tokenizer does")
        }
        for problem in classifier.cacheLookup?.problems ?? [] {
            Console.warn(describe(problem))
        }
        return classifier
    }
}
