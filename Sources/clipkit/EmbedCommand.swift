import ArgumentParser
import CLIPKit
import Foundation

/// `clipkit embed`: L2-normalised CLIP embeddings of texts and images.
struct EmbedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Write L2-normalised CLIP embeddings of texts and images.",
        discussion: """
            Texts come first, in the order given, then images (PATHs expand as for classify). \
            jsonl writes one object per line; npy writes a float32 [N, D] array to --output and a \
            sidecar .txt naming each row. Inputs that cannot be read are reported (in jsonl as error \
            records, otherwise on standard error) and counted in the summary.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var inputOptions: InputOptions
    @OptionGroup var recoveryOptions: RecoveryOptions

    @Option(name: .customLong("text"), help: ArgumentHelp("A text to embed (repeatable).", valueName: "text"))
    var texts: [String] = []

    @Option(help: "Output format.")
    var format: EmbeddingFormat = .jsonl

    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file (required for npy).", valueName: "file"))
    var output: String?

    @Argument(help: ArgumentHelp("Image files or directories.", valueName: "path"))
    var paths: [String] = []

    func validate() throws {
        guard !texts.isEmpty || !paths.isEmpty else { throw ValidationError("give at least one --text or image path") }
        if format == .npy, output == nil { throw ValidationError("--format npy needs --output FILE") }
        try recoveryOptions.validate(output: output, format: format.rawValue, resumable: ["jsonl"])
    }

    func run() async throws {
        let pipeline = try await modelOptions.loadPipeline()
        let resumed = recoveryOptions.resume ? try ResumeLog.load(path: output ?? "", csv: false) : ResumeLog()
        let texts = self.texts.filter { !resumed.texts.contains($0) }
        var writer: any EmbeddingWriter
        switch format {
        case .jsonl:
            writer = JSONLEmbeddingWriter(sink: try OutputSink(path: output, appending: recoveryOptions.resume,
                                                                flushesEveryWrite: true))
        case .npy: writer = try NPYEmbeddingWriter(path: output ?? "embeddings.npy", width: pipeline.embeddingSize)
        }

        let tokenized = texts.map(pipeline.tokenize)
        for (text, tokens) in zip(texts, tokenized) where tokens.truncated {
            Console.warn("text '\(text)' is longer than \(pipeline.model.textContextLength) tokens; truncated as \(pipeline.family.displayName)'s tokenizer does")
        }
        let textEmbeddings = try pipeline.textEmbeddings(tokenized: tokenized)
        let width = pipeline.embeddingSize
        for (i, text) in texts.enumerated() {
            try writer.write(.text(text), embedding: Array(textEmbeddings.scalars[i * width..<(i + 1) * width]))
        }

        let bar = ProgressBar()
        var embedded = texts.count
        var failed = 0
        var strictFailure: CLIError?
        let batchOptions = modelOptions.batchOptions(progress: bar.isEnabled ? bar.update : nil)
        let run = ChunkedRun(inputs: InputEnumerator(recursive: inputOptions.recursive, arguments: paths),
                             skipping: resumed.paths, options: batchOptions, stop: StopSignals.install())
        let outcome = try await run.run({ pipeline.imageEmbeddings(of: $0, options: $1) }) { file, result in
            switch result {
            case .success(let embedding):
                try writer.write(.path(file.path), embedding: embedding)
                embedded += 1
            case .failure(let error):
                failed += 1
                try writer.writeFailure(path: file.path, message: describe(error))
                if inputOptions.strict {
                    strictFailure = CLIError(describe(error))
                    return false
                } else if format == .npy {
                    bar.clear()
                    Console.warn(describe(error))
                }
            }
            return true
        }
        bar.clear()
        try writer.finish()
        Console.writeError("embedded \(embedded), failed \(failed)\(resumed.summary)\n")
        if let strictFailure { throw strictFailure }
        if case .interrupted(let signal) = outcome { throw ExitCode(StopSignals.exitStatus(for: signal)) }
    }
}
