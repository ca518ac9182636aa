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
        try await ChildProcess.run(binary, arguments, environment: environment.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a })
    }
}
