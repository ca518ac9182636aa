import Foundation
import Testing
@testable import CLIPKit

/// The real `clipkit download` binary against the stand-in: stdout is the folder, errors are one
/// line on stderr with exit status 1. Skipped when the binary is not built beside the tests.
@Suite(.enabled(if: ClipkitBinary.url != nil, "the clipkit executable is not built beside the tests"))
struct HubDownloadCommandTests {
    @Test func downloadPrintsTheFolderThenWorksOffline() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        let binary = try #require(ClipkitBinary.url)
        let online = try await ClipkitBinary.run(binary, ["download", "testorg/model"], environment: box.environment())
        let folder = box.repoFolder.appendingPathComponent("snapshots/\(HubSandbox.commit)").path
        #expect(online.status == 0)
        #expect(online.stdout == folder + "\n")
        #expect(online.stderr.isEmpty, "no progress bar when stderr is not a terminal")

        box.server.resetLog()
        let offline = try await ClipkitBinary.run(
            binary, ["download", "testorg/model"], environment: box.environment(["HF_HUB_OFFLINE": "1"]))
        #expect(offline.status == 0 && offline.stdout == folder + "\n")
        #expect(box.server.requests.isEmpty)
    }

    /// The "done when": `clipkit download` fills the cache from the Hub, then
    /// `HF_HUB_OFFLINE=1 clipkit classify --model testorg/tiny-clip …` runs from it without a
    /// single request.
    @Test func classifyByHubIDWorksOfflineAfterDownload() async throws {
        let tiny = Fixtures.url("models/tiny-clip")
        var files: [String: [UInt8]] = [:]
        for name in ["config.json", "model.safetensors", "vocab.json", "merges.txt", "preprocessor_config.json"] {
            files[name] = Array(try Data(contentsOf: tiny.appendingPathComponent(name)))
        }
        let box = try HubSandbox { repo in
            repo = HubStandIn.Repo(id: "testorg/tiny-clip", commit: HubSandbox.commit, files: files,
                                   large: ["model.safetensors"])
        }
        defer { box.cleanUp() }
        let binary = try #require(ClipkitBinary.url)
        let download = try await ClipkitBinary.run(binary, ["download", "testorg/tiny-clip"], environment: box.environment())
        #expect(download.status == 0, "\(download.stderr)")

        box.server.resetLog()
        let image = Fixtures.url("cli/images/a.png").path
        let classify = try await ClipkitBinary.run(
            binary, ["classify", "--model", "testorg/tiny-clip", "--label", "cat", "--label", "dog", "--format", "jsonl", image],
            environment: box.environment(["HF_HUB_OFFLINE": "1"]))
        #expect(classify.status == 0, "\(classify.stderr)")
        #expect(classify.stdout.hasPrefix("{") && classify.stdout.contains("\"label\""))
        #expect(classify.stderr == "classified 1, failed 0\n")
        #expect(box.server.requests.isEmpty)
    }

    @Test func failureIsOneLineAndExitStatusOne() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        let binary = try #require(ClipkitBinary.url)
        let result = try await ClipkitBinary.run(
            binary, ["download", "testorg/other"], environment: box.environment(["HF_HUB_OFFLINE": "1"]))
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("clipkit: error: "))
        #expect(result.stderr.contains("HF_HUB_OFFLINE") && result.stderr.contains(box.cache.path))
        #expect(result.stderr.filter { $0 == "\n" }.count == 1)
    }
}

/// The `clipkit` executable in the same build folder as the test bundle.
enum ClipkitBinary {
    static let url: URL? = {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // The test binary may sit inside a bundle folder (`…/debug/clipkitPackageTests.xctest/…`).
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("clipkit")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder.deleteLastPathComponent()
        }
        return nil
    }()

    /// Runs the binary with exactly `environment` (plus PATH), for at most 60 seconds.
    static func run(_ binary: URL, _ arguments: [String], environment: [String: String]) async throws
        -> ChildProcess.Result
    {
        // Sanitizer settings pass through (scripts/sanitize.sh turns leak reports off).
        let sanitizer = ProcessInfo.processInfo.environment.filter { $0.key.hasSuffix("SAN_OPTIONS") }
        return try await ChildProcess.run(
            binary, arguments,
            environment: environment.merging(["PATH": "/usr/bin:/bin"].merging(sanitizer) { a, _ in a }) { a, _ in a })
    }
}
