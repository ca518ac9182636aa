import Foundation
@testable import CLIPKit

/// A fake CLIP repository and a private cache folder for one test.
struct HubSandbox {
    static let repoID = "testorg/model"
    static let commit = "0123456789abcdef0123456789abcdef01234567"

    let server: HubStandIn
    let home: URL
    var cache: URL { home.appendingPathComponent("hub") }

    /// A fresh server holding `testorg/model`, and an empty `HF_HOME`.
    init(configure: (inout HubStandIn.Repo) -> Void = { _ in }) throws {
        server = try HubStandIn()
        var repo = Self.fakeRepo()
        configure(&repo)
        server.add(repo)
        home = FileManager.default.temporaryDirectory
            .appendingPathComponent("clipkit-hub-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    }

    /// The large (LFS) file's content: 600 kB of deterministic bytes, made once per process.
    static let weights: [UInt8] = {
        var bytes = [UInt8](repeating: 0, count: 600_000)
        var state: UInt32 = 12345
        for index in bytes.indices {
            state = state &* 1_664_525 &+ 1_013_904_223
            bytes[index] = UInt8(truncatingIfNeeded: state >> 24)
        }
        return bytes
    }()
    static let weightsSHA = HubStandIn.sha256(weights)

    /// A repository laid out like `openai/clip-vit-base-patch32`, with small stand-in contents;
    /// `model.safetensors` is the one large (LFS) file.
    static func fakeRepo(id: String = repoID, commit: String = commit) -> HubStandIn.Repo {
        func text(_ string: String) -> [UInt8] { Array(string.utf8) }
        return HubStandIn.Repo(
            id: id, commit: commit,
            files: [
                "config.json": text(#"{"model_type": "clip", "projection_dim": 512}"#),
                "model.safetensors": weights,
                "pytorch_model.bin": text("not fetched when safetensors exist"),
                "flax_model.msgpack": text("never fetched"),
                "README.md": text("# test model\n"),
                "vocab.json": text(#"{"a</w>": 0, "b</w>": 1}"#),
                "merges.txt": text("#version: 0.2\na b\n"),
                "preprocessor_config.json": text(#"{"crop_size": 224}"#),
                "tokenizer_config.json": text(#"{"model_max_length": 77}"#),
                "special_tokens_map.json": text(#"{"bos_token": "<|startoftext|>"}"#),
            ],
            large: ["model.safetensors"], knownDigests: ["model.safetensors": weightsSHA])
    }

    /// The environment a user would set: this endpoint, this cache, no token unless given.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        ["HF_ENDPOINT": server.endpoint, "HF_HOME": home.path].merging(extra) { $1 }
    }

    /// A client with quick retries, so failure paths take milliseconds.
    func client(_ extra: [String: String] = [:], attempts: Int = 3) -> HubClient {
        HubClient(settings: HubEnvironment(environment: environment(extra), home: home),
                  retry: RetryPolicy(attempts: attempts, baseDelay: 0.02, maxDelay: 0.1), lockTimeout: 30)
    }

    var repoFolder: URL { cache.appendingPathComponent("models--testorg--model") }

    /// Every path under the repository's cache folder, relative to it.
    func cachedPaths() -> [String] {
        let base = repoFolder.path
        let all = FileManager.default.subpaths(atPath: base) ?? []
        return all.sorted()
    }

    func cleanUp() {
        server.stop()
        try? FileManager.default.removeItem(at: home)
    }
}

/// Runs a program to completion with its output captured in files (a pipe could fill up and
/// block it), for at most `timeout` seconds.
enum ChildProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ executable: URL, _ arguments: [String], environment: [String: String],
                    timeout: Double = 60) async throws -> Result {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("clipkit-child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("out"), errURL = scratch.appendingPathComponent("err")
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        let output = try FileHandle(forWritingTo: outURL), errors = try FileHandle(forWritingTo: errURL)
        defer { try? output.close(); try? errors.close() }

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        if process.isRunning {
            process.terminate()
            throw StandInError("\(executable.lastPathComponent) did not finish in \(timeout) s")
        }
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                      stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }
}
