import ArgumentParser
import CLIPKit

/// Benchmarks: programs that print numbers. Build with `-c release`.
/// (No `@main`: with several files in the target, main.swift is the entry point.)
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clipkit-bench",
        abstract: "Measure clipkit's speed on this machine (release builds only).",
        subcommands: [ModelBenchCommand.self, WriteModelCommand.self, FirstResultCommand.self])
}

BenchCommand.main()
