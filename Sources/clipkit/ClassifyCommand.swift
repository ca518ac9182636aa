import ArgumentParser
import CLIPKit
import Foundation

/// `clipkit classify`: zero-shot classification of image files against candidate labels.
struct ClassifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Classify images against candidate labels (zero-shot).",
        discussion: """
            Each PATH is an image file or a directory; a directory means its files sorted by name, \
            hidden files skipped, subdirectories only with --recursive. Formats are detected by content. \
            Inputs that cannot be read are reported in the output and counted in the summary on standard \
            error; the exit status is still 0 unless --strict is given.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var inputOptions: InputOptions
    @OptionGroup var promptOptions: PromptOptions
    @OptionGroup var scoreOptions: ScoreOptions
    @OptionGroup var recoveryOptions: RecoveryOptions

    @Option(name: .customLong("label"), help: ArgumentHelp("A candidate label (repeatable).", valueName: "text"))
    var labels: [String] = []

    @Option(help: ArgumentHelp("UTF-8 file with one label per line; blank lines and lines starting with # are ignored.", valueName: "file"))
    var labelsFile: String?

    @Option(help: "List only the K best labels per image in json/jsonl scores.")
    var topK: Int?

    @Option(help: "Output format.")
    var format: ClassificationFormat = .table

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the results to this file instead of standard output.", valueName: "file"))
    var output: String?

    @Argument(help: ArgumentHelp("Image files or directories.", valueName: "path"))
    var paths: [String]

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give at least one image file or directory") }
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1") }
        guard !labels.isEmpty || labelsFile != nil else {
            throw ValidationError("give at least one --label or a --labels-file")
        }
        _ = try candidateLabels()
        try recoveryOptions.validate(output: output, format: format.rawValue, resumable: ["jsonl", "csv"])
    }

    /// Labels from --label then --labels-file, checked (none empty, no duplicates).
    func candidateLabels() throws -> [String] {
        var all = labels
        if let labelsFile { all += try LabelsFile.labels(atPath: labelsFile) }
        do {
            try ZeroShotClassifier.validate(labels: all)
        } catch let error as ClassifierError {
            if error == .noLabels, let labelsFile { throw ValidationError("no labels in \(labelsFile)") }
            throw ValidationError(describe(error))
        }
        return all
    }

    func run() async throws {
        let labels = try candidateLabels()
        let pipeline = try await modelOptions.loadPipeline(weightCache: !promptOptions.noCache)
        let classifier = try promptOptions.classifier(pipeline: pipeline, labels: labels)

        let bar = ProgressBar()
        let batchOptions = modelOptions.batchOptions(progress: bar.isEnabled ? bar.update : nil)
        let resumed = recoveryOptions.resume ? try ResumeLog.load(path: output ?? "", csv: format == .csv) : ResumeLog()
        if let header = resumed.csvHeader, header != CSVWriter.header(labels: labels, multiLabel: scoreOptions.selectionThreshold != nil) {
            throw CLIError("\(output ?? "") was written with other labels; cannot resume it with these")
        }
        let sink = try OutputSink(path: output, appending: recoveryOptions.resume,
                                  flushesEveryWrite: format == .jsonl || format == .csv)
        var writer = makeClassificationWriter(format, sink: sink, topK: topK,
                                              multiLabelThreshold: scoreOptions.selectionThreshold)
        // A resumed file already has its header: the writer learns the labels, the file is untouched.
        sink.isMuted = resumed.hasContent
        try writer.begin(labels: labels)
        sink.isMuted = false
        var classified = 0
        var failed = 0
        var strictFailure: CLIError?
        let run = ChunkedRun(inputs: InputEnumerator(recursive: inputOptions.recursive, arguments: paths),
                             skipping: resumed.paths, options: batchOptions, stop: StopSignals.install())
        let outcome = try await run.run({ classifier.classifications(of: $0, options: $1, scores: scoreOptions.scores) }) { file, result in
            let record = ClassificationRecord(input: file, result: result)
            try writer.write(record)
            if let message = record.errorMessage {
                failed += 1
                if inputOptions.strict {
                    strictFailure = CLIError(message)
                    return false
                }
                if format == .csv {
                    bar.clear()
                    Console.warn(message)
                }
            } else {
                classified += 1
            }
            return true
        }
        bar.clear()
        try writer.finish()
        try sink.close()
        Console.writeError("classified \(classified), failed \(failed)\(resumed.summary)\n")
        if let strictFailure { throw strictFailure }
        if case .interrupted(let signal) = outcome { throw ExitCode(StopSignals.exitStatus(for: signal)) }
    }
}
