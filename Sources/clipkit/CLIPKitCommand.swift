import ArgumentParser
import CLIPKit

@main
struct CLIPKitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clipkit",
        abstract: "Zero-shot image classification with CLIP.",
        subcommands: [ClassifyCommand.self, EmbedCommand.self, DownloadCommand.self, EvaluateCommand.self, CacheCommand.self,
                      CheckPrecisionCommand.self, ServeCommand.self])
}
