import ArgumentParser
import CLIPKit
import Foundation

/// Output formats of `evaluate`.
enum EvaluationFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

/// `clipkit evaluate`: zero-shot accuracy on a labelled folder (ImageFolder layout).
struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure zero-shot accuracy on a folder with one subfolder per class.",
        discussion: """
            DIR holds one subfolder per class (torchvision's ImageFolder layout); the class name is the \
            folder name unless --class-names maps it. Every class is a candidate label for every image. \
            Prints top-1 and top-5 accuracy, per-class accuracy, the most confused class pairs and the \
            speed. Unreadable files are counted and left out of the accuracy.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var promptOptions: PromptOptions

    @Option(help: ArgumentHelp("Readable class names: JSON {folder: name}, lines 'folder<TAB>name', or one name per line in sorted folder order.", valueName: "file"))
    var classNames: String?

    @Option(help: "How many confused class pairs to list.")
    var confusedPairs = 10

    @Option(help: "Output format.")
    var format: EvaluationFormat = .table

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the report to this file instead of standard output.", valueName: "file"))
    var output: String?

    @Argument(help: ArgumentHelp("The dataset folder.", valueName: "dir"))
    var directory: String

    func validate() throws {
        guard confusedPairs >= 0 else { throw ValidationError("--confused-pairs must be at least 0") }
    }

    func run() async throws {
        let dataset = try ImageFolderDataset(directory: directory)
        let names = try classNames.map { try ClassNamesFile.names(atPath: $0, folders: dataset.folders) } ?? dataset.folders
        do {
            try ZeroShotClassifier.validate(labels: names)
        } catch {
            throw CLIError("class names: \(describe(error))")
        }
        let pipeline = try await modelOptions.loadPipeline(weightCache: !promptOptions.noCache)
        let textStart = Date()
        let classifier = try promptOptions.classifier(pipeline: pipeline, labels: names)
        let textSeconds = Date().timeIntervalSince(textStart)

        let bar = ProgressBar()
        let batchOptions = modelOptions.batchOptions(progress: bar.update)
        let inputs = dataset.files.map { $0.input.imageInput(options: batchOptions.decoding) }
        var evaluation = ZeroShotEvaluation(classNames: names)
        let start = Date()
        for await item in classifier.classifications(of: inputs, options: batchOptions) {
            switch item.result {
            case .success(let classification):
                evaluation.record(trueClass: dataset.files[item.index].classIndex, classification)
            case .failure(let error):
                evaluation.recordFailure()
                bar.clear()
                Console.warn(describe(error))
            }
        }
        bar.clear()
        let seconds = Date().timeIntervalSince(start)
        let report = EvaluationReport(
            dataset: directory, model: modelOptions.model, folders: dataset.folders, evaluation: evaluation,
            templateCount: classifier.templates.count, imageSeconds: seconds, textSeconds: textSeconds,
            cacheLookup: classifier.cacheLookup, confusedPairs: confusedPairs)
        let sink = try OutputSink(path: output)
        try sink.write(format == .json ? report.json() : report.table())
        try sink.close()
    }
}
