// HTTP for the Hub client: Foundation's URLSession (FoundationNetworking, i.e. libcurl, on Linux).
//
// Why URLSession and not AsyncHTTPClient: a spike on this machine (Swift 6.3.1, Linux) showed that
// URLSession does everything the Hub protocol needs: a delegate can refuse a redirect, so a HEAD
// that the Hub answers with a 302 to a CDN host comes back as the 302 itself with `Location`,
// `X-Linked-Etag` and `X-Linked-Size` readable, while same-host redirects are followed; a data task
// delegate receives the body in chunks, so a multi-GB file streams to disk without being held in
// memory; a `Range` header is sent as given; an idle timeout (`timeoutIntervalForRequest`) ends
// a stalled transfer; a connection dropped mid-body is reported as an error ("transfer closed with
// N bytes remaining"). AsyncHTTPClient would do the same but pulls in SwiftNIO, which costs
// every clean build several minutes on a 2-core machine, for no capability we use.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Status line and headers of an HTTP answer.
struct HTTPHead: Sendable {
    let status: Int
    /// Header values by lowercased name.
    let headers: [String: String]
    /// The URL that answered (after any redirects that were followed).
    let url: URL

    init(_ response: HTTPURLResponse, url fallback: URL) {
        status = response.statusCode
        var headers: [String: String] = [:]
        for (key, value) in response.allHeaderFields {
            if let key = key as? String, let value = value as? String { headers[key.lowercased()] = value }
        }
        self.headers = headers
        url = response.url ?? fallback
    }

    func header(_ name: String) -> String? { headers[name.lowercased()] }

    var isSuccess: Bool { (200..<300).contains(status) }
    var isRedirect: Bool { [301, 302, 303, 307, 308].contains(status) }
}

/// Which redirects a request follows.
enum RedirectPolicy: Sendable {
    /// Follow redirects on the same host only; a redirect elsewhere is returned as the answer
    /// (the Hub's metadata HEAD: the 302 to the CDN carries the file's metadata).
    case sameHostOnly
    /// Follow every redirect, dropping `Authorization` once the host changes (file transfers).
    case all
}

/// A failure below HTTP: no connection, a timeout, a connection dropped mid-transfer.
struct TransportError: Error, Sendable {
    let reason: String
    let isTimeout: Bool
}

/// What a streaming request does with the body of an answer.
enum BodyDisposition: Sendable {
    /// Hand the body to the sink chunk by chunk.
    case stream
    /// Keep up to this many bytes of the body in memory (error texts, JSON).
    case collect(limit: Int)
}

/// Requests over URLSession, one short-lived session per request.
struct HubHTTP: Sendable {
    /// Seconds without any data before a request fails.
    let timeout: Double

    /// Sends `request` and collects the body (at most `limit` bytes; more is an error).
    func send(_ request: URLRequest, redirects: RedirectPolicy, limit: Int = 16 << 20) async throws
        -> (HTTPHead, Data)
    {
        let result = try await perform(request, redirects: redirects, decide: { _ in .collect(limit: limit) },
                                       sink: { _ in })
        return (result.head, result.collected)
    }

    /// Sends `request`; `decide` chooses, from the status and headers, whether the body goes to
    /// `sink` (which may throw to abort the transfer) or is collected.
    func perform(
        _ request: URLRequest, redirects: RedirectPolicy,
        decide: @escaping @Sendable (HTTPHead) -> BodyDisposition,
        sink: @escaping @Sendable (Data) throws -> Void
    ) async throws -> (head: HTTPHead, collected: Data) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = 7 * 24 * 3600
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpShouldSetCookies = false

        var request = request
        request.cachePolicy = .reloadIgnoringLocalCacheData
        request.timeoutInterval = timeout
        // Sizes must be the real ones and Range must count real bytes.
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")

        let delegate = TransferDelegate(
            originalURL: request.url, redirects: redirects, decide: decide, sink: sink)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
        defer { session.finishTasksAndInvalidate() }
        let task = session.dataTask(with: request)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                delegate.start(task, continuation: continuation)
            }
        } onCancel: {
            task.cancel()
        }
    }
}

/// Receives one task's callbacks, all on one serial queue.
private final class TransferDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let originalURL: URL?
    private let redirects: RedirectPolicy
    private let decide: @Sendable (HTTPHead) -> BodyDisposition
    private let sink: @Sendable (Data) throws -> Void

    // Touched only on the delegate queue (and in `start`, before the task runs).
    private var continuation: CheckedContinuation<(head: HTTPHead, collected: Data), Error>?
    private var head: HTTPHead?
    private var disposition: BodyDisposition = .collect(limit: 0)
    private var collected = Data()
    private var failure: Error?

    init(originalURL: URL?, redirects: RedirectPolicy,
         decide: @escaping @Sendable (HTTPHead) -> BodyDisposition,
         sink: @escaping @Sendable (Data) throws -> Void) {
        self.originalURL = originalURL
        self.redirects = redirects
        self.decide = decide
        self.sink = sink
    }

    func start(_ task: URLSessionDataTask,
               continuation: CheckedContinuation<(head: HTTPHead, collected: Data), Error>) {
        self.continuation = continuation
        task.resume()
    }

    func urlSession(_ session: URLSession, task: URLSessionTask,
                    willPerformHTTPRedirection response: HTTPURLResponse, newRequest request: URLRequest,
                    completionHandler: @escaping (URLRequest?) -> Void) {
        let sameHost = Self.sameHost(request.url, task.originalRequest?.url ?? originalURL)
        switch redirects {
        case .sameHostOnly:
            completionHandler(sameHost ? request : nil)
        case .all:
            var next = request
            if !sameHost { next.setValue(nil, forHTTPHeaderField: "Authorization") }
            completionHandler(next)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let http = response as? HTTPURLResponse else {
            failure = TransportError(reason: "not an HTTP response", isTimeout: false)
            completionHandler(.cancel)
            return
        }
        let head = HTTPHead(http, url: dataTask.originalRequest?.url ?? originalURL ?? URL(fileURLWithPath: "/"))
        self.head = head
        disposition = decide(head)
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        switch disposition {
        case .stream:
            do { try sink(data) } catch {
                failure = error
                dataTask.cancel()
            }
        case .collect(let limit):
            if collected.count + data.count > limit {
                failure = TransportError(reason: "answer larger than \(limit) bytes", isTimeout: false)
                dataTask.cancel()
            } else {
                collected.append(data)
            }
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        guard let continuation else { return }
        self.continuation = nil
        if let failure {
            continuation.resume(throwing: failure)
        } else if let error {
            continuation.resume(throwing: Self.transportError(error))
        } else if let head {
            continuation.resume(returning: (head, collected))
        } else if let http = task.response as? HTTPURLResponse {
            // An unfollowed redirect may complete without a separate response callback.
            let fallback = task.originalRequest?.url ?? originalURL ?? URL(fileURLWithPath: "/")
            continuation.resume(returning: (HTTPHead(http, url: fallback), collected))
        } else {
            continuation.resume(throwing: TransportError(reason: "no response", isTimeout: false))
        }
    }

    private static func sameHost(_ a: URL?, _ b: URL?) -> Bool {
        guard let a, let b, let hostA = a.host?.lowercased(), let hostB = b.host?.lowercased() else {
            return false
        }
        return hostA == hostB && a.port == b.port && a.scheme?.lowercased() == b.scheme?.lowercased()
    }

    private static func transportError(_ error: Error) -> Error {
        if error is CancellationError { return error }
        let nsError = error as NSError
        if nsError.domain == NSURLErrorDomain && nsError.code == NSURLErrorCancelled {
            return CancellationError()
        }
        let timedOut = nsError.domain == NSURLErrorDomain && nsError.code == NSURLErrorTimedOut
        var reason = nsError.localizedDescription
        if reason.isEmpty || reason == "(null)" || reason.hasPrefix("The operation could not") {
            reason = timedOut ? "timed out" : "error \(nsError.code)"
        }
        return TransportError(reason: timedOut ? "timed out" : reason, isTimeout: timedOut)
    }
}
