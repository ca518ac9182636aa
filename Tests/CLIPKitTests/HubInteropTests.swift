import Foundation
import Testing
@testable import CLIPKit

/// Cache sharing with Python's huggingface_hub, both ways, through the loopback stand-in.
/// Skipped (and reported as skipped) when `huggingface_hub` cannot be imported.
@Suite(.enabled(if: PythonHub.isAvailable, "Python's huggingface_hub is not importable"))
struct HubInteropTests {
    @Test func pythonFindsWhatSwiftDownloaded() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        let folder = try await box.client().snapshot(of: "testorg/model")
        let files = HubClientTests.wanted
        let script = """
            import sys
            from huggingface_hub import hf_hub_download
            for name in sys.argv[1:]:
                print(hf_hub_download("testorg/model", name, local_files_only=True))
            """
        let output = try await PythonHub.run(script, arguments: files, environment: [
            "HF_HOME": box.home.path, "HF_HUB_OFFLINE": "1",
        ])
        let paths = output.split(separator: "\n").map(String.init)
        #expect(paths == files.map { folder.appendingPathComponent($0).path })
    }

    @Test func swiftFindsOfflineWhatPythonDownloaded() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        let files = HubClientTests.wanted
        let script = """
            import sys
            from huggingface_hub import hf_hub_download
            for name in sys.argv[1:]:
                print(hf_hub_download("testorg/model", name))
            """
        _ = try await PythonHub.run(script, arguments: files, environment: [
            "HF_HOME": box.home.path, "HF_ENDPOINT": box.server.endpoint,
        ])
        // Python took the large file from the other host name, as the real client does.
        #expect(box.server.requests.contains { $0.path.hasPrefix("/cdn/") && $0.host == "localhost:\(box.server.port)" })
        box.server.resetLog()

        let folder = try await box.client(["HF_HUB_OFFLINE": "1"]).snapshot(of: "testorg/model")
        #expect(box.server.requests.isEmpty)
        #expect(folder.lastPathComponent == HubSandbox.commit)
        let repo = HubSandbox.fakeRepo()
        for file in files {
            #expect([UInt8](try Data(contentsOf: folder.appendingPathComponent(file))) == repo.files[file], "\(file)")
        }
    }
}

extension HubInteropTests {
    @Test func swiftWaitsForALockHeldByPython() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        let lock = box.cache.appendingPathComponent(".locks/models--testorg--model/\(HubSandbox.weightsSHA).lock")
        let marker = box.home.appendingPathComponent("locked")
        // huggingface_hub takes this lock through filelock.FileLock (flock) while downloading.
        let script = """
            import os, sys, time
            from filelock import FileLock
            os.makedirs(os.path.dirname(sys.argv[1]), exist_ok=True)
            with FileLock(sys.argv[1]):
                open(sys.argv[2], "w").close()
                time.sleep(2)
            """
        async let python = PythonHub.run(script, arguments: [lock.path, marker.path], environment: [:])
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: marker.path) {
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        #expect(FileManager.default.fileExists(atPath: marker.path), "python never took the lock")
        let started = Date()
        _ = try await box.client().snapshot(of: "testorg/model")
        let waited = Date().timeIntervalSince(started)
        _ = try await python
        #expect(waited >= 1.0, "the download did not wait for Python's lock (\(waited) s)")
    }
}

/// Runs Python with huggingface_hub: `/work/venv/bin/python` when present, else `python3`.
enum PythonHub {
    static let interpreter: String = {
        let venv = "/work/venv/bin/python"
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "python3"
    }()

    static let isAvailable: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [interpreter, "-c", "import huggingface_hub"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    /// Runs `script` with `arguments`, in an environment that can reach only loopback and has no
    /// token; returns its standard output. Gives up after `timeout` seconds.
    static func run(_ script: String, arguments: [String], environment extra: [String: String],
                    timeout: Double = 120) async throws -> String {
        var environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                           "HOME": extra["HF_HOME"] ?? NSTemporaryDirectory(),
                           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
                           "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_UPDATE_CHECK": "1",
                           "HF_HUB_DISABLE_XET": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1",
                           "HF_ENDPOINT": "http://127.0.0.1:9"]
        environment.merge(extra) { $1 }
        let result = try await ChildProcess.run(
            URL(fileURLWithPath: "/usr/bin/env"), [interpreter, "-c", script] + arguments,
            environment: environment, timeout: timeout)
        guard result.status == 0 else {
            throw StandInError("python failed (\(result.status)): \(result.stderr.suffix(2000))")
        }
        return result.stdout
    }
}
