import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// How often and how patiently transfers are retried.
struct RetryPolicy: Sendable {
    /// Consecutive failed attempts (no new byte received) before giving up.
    var attempts = 5
    /// Wait after the first failure, doubled after each further one, capped at `maxDelay`.
    var baseDelay = 1.0
    var maxDelay = 8.0

    func delay(afterFailures failures: Int) -> Double {
        min(maxDelay, baseDelay * Double(1 << min(max(failures - 1, 0), 16)))
    }

    /// Whether an HTTP status is worth another try (timeouts, rate limits, server errors).
    static func isRetryable(status: Int) -> Bool { status == 408 || status == 429 || (500..<600).contains(status) }
}

/// One file to bring into the blob store.
struct BlobDownload: Sendable {
    /// Where the bytes are fetched from (the resolve URL, or the CDN location it redirects to).
    var source: URL
    /// `Bearer …`, sent only when `source` is on the Hub endpoint's own host.
    var authorization: String?
    var blob: URL
    var lock: URL
    var expectedSize: Int64?
    /// The sha256 the content must have (from `X-Linked-Etag`), when the Hub gives one.
    var sha256: String?
    /// For messages: the repository and the file's name in it.
    var repo: String
    var file: String
}

/// Streams files into the blob store: to `<blob>.incomplete` first, resumed with `Range` after a
/// dropped connection, checked against the announced size and sha256, then renamed into place,
/// all under the blob's lock so two processes never write one blob.
struct FileDownloader: Sendable {
    let http: HubHTTP
    let retry: RetryPolicy
    /// Longest wait for another process's download of the same blob.
    let lockTimeout: Double
    let hasToken: Bool

    /// Downloads `item` unless its blob exists; `progress` receives the file's bytes on disk so far.
    func fetch(_ item: BlobDownload, progress: @escaping @Sendable (Int64) -> Void) async throws {
        let lock = try await FileLock.acquire(item.lock, timeout: lockTimeout)
        defer { lock.release() }
        if FileManager.default.fileExists(atPath: item.blob.path) { return }

        let partialURL = URL(fileURLWithPath: item.blob.path + ".incomplete")
        do {
            try FileManager.default.createDirectory(
                at: item.blob.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw HubError.cacheIO(path: item.blob.deletingLastPathComponent().path, reason: error.localizedDescription)
        }
        let partial = try PartialFile(partialURL)
        defer { partial.close() }
        if let expected = item.expectedSize, partial.size > expected { try partial.truncate() }
        progress(partial.size)

        try await transfer(item, into: partial, progress: progress)

        let size = partial.size
        if let expected = item.expectedSize, size != expected {
            partial.close()
            try? FileManager.default.removeItem(at: partialURL)
            throw HubError.sizeMismatch(file: item.file, expected: expected, actual: size)
        }
        if let expected = item.sha256 {
            let actual = try partial.sha256()
            guard actual == expected else {
                partial.close()
                try? FileManager.default.removeItem(at: partialURL)
                throw HubError.checksumMismatch(file: item.file, expected: expected, actual: actual)
            }
        }
        partial.close()
        guard rename(partialURL.path, item.blob.path) == 0 else {
            throw HubError.cacheIO(path: item.blob.path, reason: String(cString: strerror(errno)))
        }
    }

    /// Fills `partial` from `item.source`, resuming where it stands, retrying transient failures.
    private func transfer(_ item: BlobDownload, into partial: PartialFile,
                          progress: @escaping @Sendable (Int64) -> Void) async throws {
        var failures = 0
        var lastReason = ""
        // Every pass either ends the loop, adds bytes, or counts a failure; the cap is a backstop.
        for _ in 0..<(retry.attempts * 20) {
            if let expected = item.expectedSize, partial.size == expected { return }
            try Task.checkCancellation()
            let start = partial.size
            var request = URLRequest(url: item.source)
            request.httpMethod = "GET"
            if let authorization = item.authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
            if start > 0 { request.setValue("bytes=\(start)-", forHTTPHeaderField: "Range") }

            do {
                let (head, body) = try await http.perform(
                    request, redirects: .all,
                    decide: { head in
                        if head.status == 200 {
                            // A full answer to a ranged request: start over.
                            return (try? partial.truncate()) == nil ? .collect(limit: 0) : .stream
                        }
                        if head.status == 206, Self.rangeStart(head) == partial.size { return .stream }
                        return .collect(limit: 64 << 10)
                    },
                    sink: { data in
                        try partial.append(data)
                        progress(partial.size)
                    })
                if head.status == 200 || (head.status == 206 && Self.rangeStart(head) == start) {
                    return
                }
                if head.status == 206 || head.status == 416 {
                    // The server did not resume where we asked: fetch the whole file again.
                    try partial.truncate()
                    lastReason = "server did not honour the Range request (HTTP \(head.status))"
                } else if RetryPolicy.isRetryable(status: head.status) {
                    lastReason = "HTTP \(head.status)"
                } else {
                    throw HubError.fromHTTP(head, body: body, repo: item.repo, file: item.file, hasToken: hasToken)
                }
            } catch let error as TransportError {
                lastReason = error.reason
            }
            failures = partial.size > start ? 1 : failures + 1
            if failures >= retry.attempts { break }
            try await Task.sleep(nanoseconds: UInt64(retry.delay(afterFailures: failures) * 1e9))
        }
        throw HubError.network(url: item.source.absoluteString, reason: lastReason)
    }

    /// The first byte position of a 206 answer (`Content-Range: bytes 100-199/200`).
    private static func rangeStart(_ head: HTTPHead) -> Int64? {
        guard let value = head.header("Content-Range"), value.hasPrefix("bytes ") else { return nil }
        let range = value.dropFirst(6)
        guard let dash = range.firstIndex(of: "-") else { return nil }
        return Int64(range[..<dash])
    }
}

/// The `.incomplete` file a download writes to. Used by one transfer at a time (the blob lock
/// ensures it); URLSession's callbacks for that transfer run one after another.
///
/// The sha256 is computed by reading the file back once complete, not while it streams:
/// URLSession on Linux does not slow the connection down for a slow consumer, so hashing in the
/// data callback let unhashed chunks pile up in memory (measured: 475 MB peak RSS for a 512 MB
/// file over loopback, against 55 MB with the read-back).
private final class PartialFile: @unchecked Sendable {
    let url: URL
    private var handle: FileHandle?
    private(set) var size: Int64 = 0

    init(_ url: URL) throws {
        self.url = url
        // open(2), not FileManager.createFile: on Linux that writes through a temporary folder
        // in /tmp that it never removes (one left behind per downloaded file).
        let descriptor = open(url.path, O_WRONLY | O_CREAT, 0o644)
        guard descriptor >= 0 else {
            throw HubError.cacheIO(path: url.path, reason: "cannot create file: \(String(cString: strerror(errno)))")
        }
        Glibc.close(descriptor)
        do {
            let handle = try FileHandle(forUpdating: url)
            size = Int64(try handle.seekToEnd())
            self.handle = handle
        } catch {
            throw HubError.cacheIO(path: url.path, reason: error.localizedDescription)
        }
    }

    func append(_ data: Data) throws {
        guard let handle else { throw HubError.cacheIO(path: url.path, reason: "file closed") }
        do { try handle.write(contentsOf: data) } catch {
            throw HubError.cacheIO(path: url.path, reason: error.localizedDescription)
        }
        size += Int64(data.count)
    }

    func truncate() throws {
        guard let handle else { throw HubError.cacheIO(path: url.path, reason: "file closed") }
        do {
            try handle.truncate(atOffset: 0)
            try handle.seek(toOffset: 0)
        } catch {
            throw HubError.cacheIO(path: url.path, reason: error.localizedDescription)
        }
        size = 0
    }

    /// The sha256 of the whole file, read back from disk in large chunks.
    func sha256() throws -> String {
        guard let handle else { throw HubError.cacheIO(path: url.path, reason: "file closed") }
        var digest = SHA256()
        do {
            try handle.synchronize()
            try handle.seek(toOffset: 0)
            while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty {
                chunk.withUnsafeBytes { digest.update($0) }
            }
            try handle.seekToEnd()
        } catch {
            throw HubError.cacheIO(path: url.path, reason: error.localizedDescription)
        }
        return digest.finalizeHex()
    }

    func close() {
        try? handle?.close()
        handle = nil
    }
}
