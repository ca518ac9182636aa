import ArgumentParser
import CLIPKit

// This file was `main.swift`; an `@main` type cannot live in a file of that name once the module
// has several files (SwiftPM treats `main.swift` as top-level code).
@main
struct CLIPKitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clipkit",
        abstract: "Zero-shot image classification with CLIP.",
        subcommands: [ClassifyCommand.self, EmbedCommand.self])
}
