import ArgumentParser
import CLIPKit
import Foundation

/// `clipkit download ID[@revision]`: fills the Hugging Face cache and prints the model folder.
struct DownloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Download a model from the Hugging Face Hub into the shared cache; print its folder.",
        discussion: """
            The cache is huggingface_hub's own ($HF_HUB_CACHE, else $HF_HOME/hub, else \
            ~/.cache/huggingface/hub), so models downloaded by Python are reused and the other way \
            round. HF_ENDPOINT picks the Hub, HF_TOKEN (or the token file `hf auth login` writes) \
            authenticates, HF_HUB_OFFLINE=1 uses the cache only. Only the files a CLIP model needs \
            are fetched.
            """)

    @Argument(help: ArgumentHelp(
        "A Hub repository id with an optional @revision (branch, tag or commit), e.g. "
            + "openai/clip-vit-base-patch32, or a Spark NLP model name.",
        valueName: "id[@revision]"))
    var model: String

    func run() async throws {
        let bar = DownloadProgressBar.ifTerminal()
        var report: (@Sendable (DownloadProgress) -> Void)?
        if let bar { report = { bar.update($0) } }
        do {
            let folder = try await ModelLocator.resolve(model, progress: report)
            bar?.finish()
            print(folder.path)
        } catch {
            bar?.finish()
            FileHandle.standardError.write(Data("clipkit: error: \(error.localizedDescription)\n".utf8))
            throw ExitCode.failure
        }
    }
}
