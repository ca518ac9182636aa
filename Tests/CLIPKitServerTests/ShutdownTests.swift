import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `clipkit serve` run as a program: graceful shutdown on SIGTERM and SIGINT.
@Suite("clipkit serve process", .serialized)
struct ShutdownTests {
    /// The built `clipkit` executable (`swift test` builds it: it is a product of the package).
    static var executable: URL? {
        var candidates = [URL]()
        if let bundle = Bundle.main.executableURL {
            candidates.append(bundle.deletingLastPathComponent().appendingPathComponent("clipkit"))
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("clipkit"))
        candidates.append(ServerFixtures.root.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/clipkit"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// A running server process and the port it listens on.
    struct Server {
        let process: Process
        let port: Int
        let stderr: Pipe
    }

    static func start(_ arguments: [String]) throws -> Server {
        let executable = try #require(executable, "the clipkit executable was not found; run `swift build` first")
        let process = Process()
        process.executableURL = executable
        process.arguments = ["serve", "--model", ServerFixtures.modelDirectory.path, "--port", "0"] + arguments
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Read stderr until the "listening on http://127.0.0.1:PORT" line.
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let chunk = stderr.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                let port = Int(text[range].split(separator: ":").last ?? "") ?? 0
                return Server(process: process, port: port, stderr: stderr)
            }
        }
        process.terminate()
        throw ServerError(description: "the server did not start: \(text)")
    }

    struct ServerError: Error, CustomStringConvertible { let description: String }

    static func post(port: Int, path: String, json: Any) async throws -> (Int, Data) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)  // allowed: fixed URL
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: json)
        request.timeoutInterval = 30
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    /// Waits until `GET /health` answers 200 (the model has loaded).
    static func waitUntilHealthy(port: Int) async throws {
        let url = URL(string: "http://127.0.0.1:\(port)/health")!  // allowed: fixed URL
        for _ in 0..<300 {
            if let (_, response) = try? await URLSession.shared.data(from: url),
               (response as? HTTPURLResponse)?.statusCode == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ServerError(description: "the model did not load")
    }

    @Test("SIGTERM and SIGINT: in-flight requests finish, the process exits 0, new connections are refused",
          arguments: [SIGTERM, SIGINT])
    func gracefulShutdown(signal: Int32) async throws {
        // A long fill wait keeps the request in flight while the signal arrives.
        let server = try Self.start(["--max-wait-ms", "1500", "--max-batch", "64"])
        try await Self.waitUntilHealthy(port: server.port)
        let body: [String: Any] = ["images": [ServerFixtures.dataURI(try ServerFixtures.png)], "labels": ["a", "b"]]
        async let answer = Self.post(port: server.port, path: "/v1/classify", json: body)
        try await Task.sleep(for: .milliseconds(500))
        kill(server.process.processIdentifier, signal)
        let (status, data) = try await answer
        #expect(status == 200, "\(String(decoding: data, as: UTF8.self))")
        let exitDeadline = Date().addingTimeInterval(15)
        while server.process.isRunning && Date() < exitDeadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!server.process.isRunning)
        if server.process.isRunning { server.process.terminate() }
        server.process.waitUntilExit()
        #expect(server.process.terminationReason == .exit)
        #expect(server.process.terminationStatus == 0)
        await #expect(throws: (any Error).self) {
            _ = try await Self.post(port: server.port, path: "/v1/embeddings", json: ["input": "x"])
        }
    }
}
