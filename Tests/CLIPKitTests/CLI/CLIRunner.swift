import Foundation
import Testing

/// Runs the built `clipkit` executable. `swift test` builds it with the tests (it is a product
/// of the package); it is looked up next to the test bundle, then in `.build/debug`.
enum CLIRunner {
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
        var stdoutData: Data { Data(stdout.utf8) }
    }

    static let executable: URL? = {
        var candidates = [URL]()
        if let bundle = Bundle.main.executableURL {
            candidates.append(bundle.deletingLastPathComponent().appendingPathComponent("clipkit"))
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("clipkit"))
        candidates.append(Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/clipkit"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    /// The tiny model folder, as a --model argument.
    static var model: String { Fixtures.url("models/tiny-clip").path }

    /// A per-run cache folder, so tests never touch the user's `~/.cache/clipkit`.
    static let cacheHome = FileManager.default.temporaryDirectory.appendingPathComponent("clipkit-tests-\(getpid())")

    /// Runs `clipkit arguments...` with `Tests/Fixtures/cli` as the working directory, so paths
    /// in outputs are short and stable. `XDG_CACHE_HOME` is ``cacheHome`` unless `environment`
    /// sets it.
    static func run(_ arguments: [String], in directory: URL = Fixtures.url("cli"),
                    environment: [String: String] = [:]) throws -> Output {
        let executable = try #require(executable, "the clipkit executable was not found; run `swift build` first")
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment
            .merging(["XDG_CACHE_HOME": cacheHome.path]) { $1 }
            .merging(environment) { $1 }
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read standard error on its own thread so neither pipe fills up and blocks the process.
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            box.data = err.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
                      stderr: String(decoding: box.data, as: UTF8.self))
    }

    private final class Box: @unchecked Sendable { var data = Data() }

    /// `classify --model <tiny> args...`
    static func classify(_ arguments: [String]) throws -> Output {
        try run(["classify", "--model", model] + arguments)
    }

    /// Parses JSON Lines output.
    static func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }
}
