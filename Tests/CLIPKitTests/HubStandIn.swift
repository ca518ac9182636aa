import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import CLIPKit

/// A loopback stand-in for the Hugging Face Hub's file protocol: a small HTTP/1.1 server on
/// 127.0.0.1 (ephemeral port), one thread per connection, `Connection: close` on every answer.
///
/// Routes, as the Hub answers them (REFERENCE.md):
/// - `GET /api/models/{repo}/revision/{rev}` → `{"sha", "siblings": [{"rfilename"}]}`
/// - `HEAD|GET /{repo}/resolve/{rev}/{file}` → 200 with `ETag`, `X-Repo-Commit` for small files;
///   302 to `http://localhost:{port}/cdn/{sha256}` with `X-Linked-Etag`/`X-Linked-Size` for large
///   ones (another host name than the endpoint's `127.0.0.1`)
/// - `GET /cdn/{sha256}` → the content, with `Range` support
/// - errors carry `X-Error-Code` (`RepoNotFound`, `GatedRepo`, `RevisionNotFound`, `EntryNotFound`).
final class HubStandIn: @unchecked Sendable {
    struct Repo {
        var id: String
        var commit: String
        var files: [String: [UInt8]]
        /// Served as LFS files: through the CDN redirect, with X-Linked-Etag (sha256).
        var large: Set<String> = []
        /// Needs `Authorization: Bearer <token>`; without it 401 GatedRepo, with a wrong one 403.
        var gated = false
        /// Needs the token; without it 401 RepoNotFound, as the Hub hides private repositories.
        var isPrivate = false
        /// Listed in `siblings` but answered with 404 EntryNotFound.
        var hidden: Set<String> = []
        /// sha256 of files whose digest the test already knows (saves hashing in debug builds).
        var knownDigests: [String: String] = [:]
    }

    struct Request: Sendable {
        var method: String
        var path: String
        var host: String?
        var authorization: String?
        var range: String?
    }

    /// What the CDN route does to its next answers; each counter is used up one answer at a time.
    struct Behaviour {
        /// Close the connection after this many body bytes, for the next `dropCount` GETs.
        var dropAfter = 0
        var dropCount = 0
        /// Answer 503 to the next this many CDN GETs.
        var failures = 0
        /// Accept and say nothing for `stallSeconds`, for the next this many CDN GETs.
        var stalls = 0
        var stallSeconds = 3.0
        /// Serve other bytes than the announced sha256 (flipped first byte).
        var corrupt = false
        /// Ignore Range and answer 200 with the whole file.
        var ignoreRange = false
    }

    let port: UInt16
    var endpoint: String { "http://127.0.0.1:\(port)" }
    let token = "hf_test_token_123"

    private let lock = NSLock()
    private var repos: [String: Repo] = [:]
    /// sha256 of every file, computed once when the repository is added.
    private var digests: [String: [String: String]] = [:]
    private var renamed: [String: String] = [:]
    private var behaviour = Behaviour()
    private var log: [Request] = []
    private var stopped = false
    private let listener: Int32
    private let acceptDone = DispatchSemaphore(value: 0)

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StandInError("socket: \(errno)") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw StandInError("bind/listen: \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    /// Stops accepting; returns once the accept loop has ended (within about 0.1 s).
    func stop() {
        let wasStopped: Bool = lock.withLock {
            defer { stopped = true }
            return stopped
        }
        guard !wasStopped else { return }
        acceptDone.wait()
        close(listener)
    }

    // MARK: Configuration and inspection

    func add(_ repo: Repo) {
        var sums: [String: String] = [:]
        for (file, content) in repo.files {
            sums[file] = repo.knownDigests[file] ?? Self.sha256(content)
        }
        lock.withLock {
            repos[repo.id] = repo
            digests[repo.id] = sums
        }
    }
    func rename(_ old: String, to new: String) { lock.withLock { renamed[old] = new } }
    func configure(_ change: (inout Behaviour) -> Void) { lock.withLock { change(&behaviour) } }
    var requests: [Request] { lock.withLock { log } }
    func resetLog() { lock.withLock { log.removeAll() } }

    // MARK: Serving

    private func acceptLoop() {
        defer { acceptDone.signal() }
        // Polls with a 100 ms timeout so `stop()` is noticed; ends when stopped.
        while !lock.withLock({ stopped }) {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let thread = Thread { [self] in
                serve(connection)
                close(connection)
            }
            thread.start()
        }
    }

    private func serve(_ connection: Int32) {
        guard let request = readRequest(connection) else { return }
        lock.withLock { log.append(request) }
        let path = String(request.path.split(separator: "?", maxSplits: 1).first ?? "")
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            String($0).removingPercentEncoding ?? String($0)
        }
        if parts.first == "api", parts.count >= 6, parts[1] == "models", parts[4] == "revision" {
            apiRevision(connection, request, repo: parts[2] + "/" + parts[3], revision: parts[5...].joined(separator: "/"))
        } else if parts.count >= 5, parts[2] == "resolve" {
            resolve(connection, request, repo: parts[0] + "/" + parts[1], revision: parts[3],
                    file: parts[4...].joined(separator: "/"))
        } else if parts.count == 2, parts[0] == "cdn" {
            cdn(connection, request, sha: parts[1])
        } else {
            respond(connection, request, status: 404, headers: [:], body: Array("no route".utf8))
        }
    }

    /// The repository if the request may see it; otherwise answers the error itself.
    private func access(_ connection: Int32, _ request: Request, repo id: String, suffix: String) -> Repo? {
        let (repo, newName) = lock.withLock { (repos[id], renamed[id]) }
        if let newName {
            let location = request.path.hasPrefix("/api/") ? "/api/models/\(newName)/\(suffix)" : "/\(newName)/\(suffix)"
            respond(connection, request, status: 307, headers: ["Location": location], body: [])
            return nil
        }
        let authorized = request.authorization == "Bearer \(token)"
        guard let repo, !(repo.isPrivate && !authorized) else {
            respond(connection, request, status: 401, headers: ["X-Error-Code": "RepoNotFound"],
                    body: Array("Repository not found".utf8))
            return nil
        }
        if repo.gated && !authorized {
            respond(connection, request, status: request.authorization == nil ? 401 : 403,
                    headers: ["X-Error-Code": "GatedRepo"], body: Array("Access restricted".utf8))
            return nil
        }
        return repo
    }

    private func apiRevision(_ connection: Int32, _ request: Request, repo id: String, revision: String) {
        guard let repo = access(connection, request, repo: id, suffix: "revision/\(revision)") else { return }
        guard revision == "main" || revision == repo.commit else {
            respond(connection, request, status: 404, headers: ["X-Error-Code": "RevisionNotFound"], body: [])
            return
        }
        let siblings = repo.files.keys.sorted().map { ["rfilename": $0] }
        let object: [String: Any] = ["id": repo.id, "sha": repo.commit, "siblings": siblings]
        let body = (try? JSONSerialization.data(withJSONObject: object)).map { [UInt8]($0) } ?? []
        respond(connection, request, status: 200, headers: ["Content-Type": "application/json"], body: body)
    }

    private func resolve(_ connection: Int32, _ request: Request, repo id: String, revision: String, file: String) {
        guard let repo = access(connection, request, repo: id, suffix: "resolve/\(revision)/\(file)") else { return }
        guard revision == "main" || revision == repo.commit else {
            respond(connection, request, status: 404, headers: ["X-Error-Code": "RevisionNotFound"], body: [])
            return
        }
        guard let content = repo.files[file], !repo.hidden.contains(file) else {
            respond(connection, request, status: 404, headers: ["X-Error-Code": "EntryNotFound"], body: [])
            return
        }
        let digest = lock.withLock { digests[repo.id]?[file] } ?? Self.sha256(content)
        if repo.large.contains(file) {
            respond(connection, request, status: 302, headers: [
                "Location": "http://localhost:\(port)/cdn/\(digest)",
                "X-Repo-Commit": repo.commit,
                "ETag": "\"\(String(digest.reversed().prefix(40)))\"",
                "X-Linked-Etag": "\"\(digest)\"",
                "X-Linked-Size": "\(content.count)",
            ], body: [])
        } else {
            // Small files: a git-blob-like 40-hex ETag (not a sha256 of the content).
            respond(connection, request, status: 200, headers: [
                "X-Repo-Commit": repo.commit, "ETag": "\"\(String(digest.prefix(40)))\"",
            ], body: content)
        }
    }

    private func cdn(_ connection: Int32, _ request: Request, sha: String) {
        let content: [UInt8]? = lock.withLock {
            for repo in repos.values {
                for file in repo.large where digests[repo.id]?[file] == sha { return repo.files[file] }
            }
            return nil
        }
        guard var content else {
            respond(connection, request, status: 404, headers: [:], body: [])
            return
        }
        if request.method == "HEAD" {
            respond(connection, request, status: 200, headers: [:], body: content)
            return
        }
        var rule = Behaviour()
        lock.withLock {
            rule = behaviour
            if behaviour.stalls > 0 { behaviour.stalls -= 1 } else if behaviour.failures > 0 {
                behaviour.failures -= 1
            } else if behaviour.dropCount > 0 { behaviour.dropCount -= 1 }
        }
        if rule.stalls > 0 {
            Thread.sleep(forTimeInterval: rule.stallSeconds)
            return
        }
        if rule.failures > 0 {
            respond(connection, request, status: 503, headers: [:], body: Array("busy".utf8))
            return
        }
        if rule.corrupt, !content.isEmpty { content[0] ^= 0xff }
        var start = 0
        var status = 200
        var headers: [String: String] = [:]
        if !rule.ignoreRange, let range = request.range, range.hasPrefix("bytes="), range.hasSuffix("-"),
           let first = Int(range.dropFirst(6).dropLast()) {
            guard first < content.count else {
                respond(connection, request, status: 416, headers: ["Content-Range": "bytes */\(content.count)"], body: [])
                return
            }
            start = first
            status = 206
            headers["Content-Range"] = "bytes \(first)-\(content.count - 1)/\(content.count)"
        }
        let body = Array(content[start...])
        if rule.dropCount > 0 {
            // Announce the whole length, send part of it, hang up.
            writeHead(connection, status: status, headers: headers, length: body.count)
            writeAll(connection, Array(body.prefix(rule.dropAfter)))
            shutdown(connection, Int32(SHUT_RDWR))
            return
        }
        respond(connection, request, status: status, headers: headers, body: body)
    }

    // MARK: HTTP plumbing

    private func readRequest(_ connection: Int32) -> Request? {
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        while buffer.count < 65536 {
            let count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            buffer += chunk[0..<count]
            if buffer.count >= 4, (0...(buffer.count - 4)).contains(where: { Array(buffer[$0..<($0 + 4)]) == end }) {
                break
            }
        }
        let text = String(decoding: buffer, as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Request(method: String(requestLine[0]), path: String(requestLine[1]), host: headers["host"],
                       authorization: headers["authorization"], range: headers["range"])
    }

    private func respond(_ connection: Int32, _ request: Request, status: Int, headers: [String: String], body: [UInt8]) {
        writeHead(connection, status: status, headers: headers, length: body.count)
        if request.method != "HEAD" { writeAll(connection, body) }
    }

    private func writeHead(_ connection: Int32, status: Int, headers: [String: String], length: Int) {
        let reasons = [200: "OK", 206: "Partial Content", 302: "Found", 307: "Temporary Redirect",
                       401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 416: "Range Not Satisfiable",
                       503: "Service Unavailable"]
        var head = "HTTP/1.1 \(status) \(reasons[status] ?? "Status")\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(length)\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n"
        writeAll(connection, Array(head.utf8))
    }

    private func writeAll(_ connection: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { return }
            offset += sent
        }
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        var digest = SHA256()
        digest.update(bytes)
        return digest.finalizeHex()
    }
}

struct StandInError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
