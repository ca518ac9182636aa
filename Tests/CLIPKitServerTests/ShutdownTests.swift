import Foundation
#if canImport(Glibc)
import Glibc
#endif
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

    /// Waits until the server reports an admitted item in `GET /metrics` (a request is in
    /// flight, waiting for its batch).
    static func waitUntilAdmitted(port: Int) async throws {
        let url = URL(string: "http://127.0.0.1:\(port)/metrics")!  // allowed: fixed URL
        for _ in 0..<600 {
            if let (data, _) = try? await URLSession.shared.data(from: url),
               !String(decoding: data, as: UTF8.self).contains("clipkit_admitted_items 0\n") { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ServerError(description: "the request was never admitted")
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
        // A long fill wait keeps the request in flight while the signal arrives (the drain
        // waits for it, so the wait is also the test's length).
        let server = try Self.start(["--max-wait-ms", "3000", "--max-batch", "64"])
        try await Self.waitUntilHealthy(port: server.port)
        let body: [String: Any] = ["images": [ServerFixtures.dataURI(try ServerFixtures.png)], "labels": ["a", "b"]]
        async let answer = Self.post(port: server.port, path: "/v1/classify", json: body)
        // Signal only once the server holds the request (a fixed sleep was not enough on a
        // loaded machine: the request had not connected yet).
        try await Self.waitUntilAdmitted(port: server.port)
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

    /// Sends `request` on a new TCP connection to 127.0.0.1:`port`, then aborts the connection
    /// (SO_LINGER 0: a reset, as when a client process dies or a proxy gives up).
    static func sendAndHangUp(port: Int, request: [UInt8], after wait: () async throws -> Void) async throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        #expect(sent == request.count)
        try await wait()
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close(fd)
    }

    @Test("a client whose connection is reset while its image is queued is dropped before the model")
    func disconnectedClient() async throws {
        let server = try Self.start(["--max-wait-ms", "3000", "--max-batch", "64"])
        defer { server.process.terminate(); server.process.waitUntilExit() }
        try await Self.waitUntilHealthy(port: server.port)
        let png = ServerFixtures.dataURI(try ServerFixtures.png)
        let json = try JSONSerialization.data(withJSONObject: ["images": [png], "labels": ["a", "b"]])
        let head = "POST /v1/classify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(json.count)\r\n\r\n"
        // Hang up once the image is queued; then wait (no fixed sleeps: a loaded machine
        // stretches every step) until the fill wait has passed and the image was dropped.
        try await Self.sendAndHangUp(port: server.port, request: Array(head.utf8) + Array(json)) {
            try await Self.waitUntilAdmitted(port: server.port)
        }
        let url = URL(string: "http://127.0.0.1:\(server.port)/metrics")!  // allowed: fixed URL
        var text = ""
        for _ in 0..<600 {
            text = String(decoding: try await URLSession.shared.data(from: url).0, as: UTF8.self)
            if text.contains("clipkit_admitted_items 0\n") { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(text.contains("clipkit_dropped_items_total 1\n"), "\(text)")
        #expect(text.contains("clipkit_images_total 0\n"))
    }
}
