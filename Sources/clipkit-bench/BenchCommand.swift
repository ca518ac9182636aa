import ArgumentParser
import CLIPKit

/// Benchmarks: programs that print numbers. Build with `-c release`.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clipkit-bench",
        abstract: "Measure clipkit's speed on this machine (release builds only).",
        subcommands: [
            ModelBenchCommand.self,
            GemmBenchCommand.self,
            WriteModelCommand.self,
            FirstResultCommand.self,
            EndToEndCommand.self,
            PreprocessBenchmark.self,
            TokenizeBenchmark.self,
            ParityCommand.self,
        ])
}
