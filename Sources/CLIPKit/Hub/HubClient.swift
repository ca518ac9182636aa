// Downloads follow huggingface_hub 2.4's protocol (`file_download.py`, `hf_api.py`); see
// REFERENCE.md "Hugging Face Hub file protocol". HTTP is URLSession: see HubHTTP.swift for why.
//
// Deliberate differences from huggingface_hub 2.4 (each pinned by a test in HubClientTests):
// - Cache first: a complete snapshot for `refs/<revision>` is used without asking the Hub whether
//   the branch moved (Python sends a HEAD per file every time). `secondRunMakesNoRequest`.
// - A partial download is `blobs/<etag>.incomplete`, resumed with Range by the next run; Python
//   uses a per-process `<etag>.<random>.incomplete` and starts over. `resumesAPartialFileLeftByAnEarlierRun`.
// - Large files are checked against the sha256 in `X-Linked-Etag`; Python does not check.
//   `checksumMismatchLeavesNoCorruptBlob`.
// - `refs/<revision>` is written after every file is linked, not before the first download, so
//   the ref never points at an incomplete snapshot. `checksumMismatchLeavesNoCorruptBlob`.
// - No `.no_exist/` markers are written, and Xet transfers are not used (plain HTTP, as Python
//   does without `hf_xet`).
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Finds model snapshots in the Hugging Face cache, downloading what is missing from the Hub.
///
/// The cache is the one Python's huggingface_hub uses (same folder, layout and environment
/// variables), so a model downloaded by either is found by the other.
public struct HubClient: Sendable {
    /// The settings read from `HF_*` variables.
    public let environment: HubEnvironment
    var retry: RetryPolicy
    /// Longest wait for another process downloading the same file.
    var lockTimeout: Double

    /// A client configured from `environment` (`HF_HOME`, `HF_HUB_CACHE`, `HF_ENDPOINT`,
    /// `HF_TOKEN` or the token file, `HF_HUB_OFFLINE`).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.init(settings: HubEnvironment(environment: environment))
    }

    /// A client with explicit settings.
    public init(settings: HubEnvironment) {
        self.init(settings: settings, retry: RetryPolicy(), lockTimeout: 3600)
    }

    init(settings: HubEnvironment, retry: RetryPolicy, lockTimeout: Double) {
        environment = settings
        self.retry = retry
        self.lockTimeout = lockTimeout
    }

    /// The local snapshot folder holding `files` (by default, what a model of any supported
    /// family needs: ``HubFileSelection/zeroShotModel``) for
    /// `repo` at `revision`.
    ///
    /// The cache is consulted first: when `refs/<revision>` (or the commit itself) names a
    /// snapshot that already holds the files, no request is made. Otherwise the file list comes
    /// from the Hub, each missing file is downloaded into the blob store and linked into
    /// `snapshots/<commit>/`, and `refs/<revision>` is updated last.
    ///
    /// - Throws: `HubError`.
    public func snapshot(
        of repo: String, revision: String = "main", files: HubFileSelection = .zeroShotModel,
        progress: (@Sendable (DownloadProgress) -> Void)? = nil
    ) async throws -> URL {
        let repo = try RepoID(repo, revision: revision)
        let cache = HubCache(root: environment.cacheDirectory)
        if let commit = cache.cachedCommit(repo),
           files.isSatisfied(by: { cache.hasFile(repo, commit: commit, file: $0) }) {
            return cache.snapshotFolder(repo, commit: commit)
        }
        guard !environment.isOffline else {
            throw HubError.offlineNotCached(repo: repo.id, revision: repo.revision, cache: cache.root.path)
        }
        let endpoint = try endpointURL()

        let info: RevisionInfo
        do {
            info = try await revisionInfo(repo, endpoint: endpoint)
        } catch let error as TransportError {
            throw HubError.unreachable(repo: repo.id, endpoint: environment.endpoint, reason: error.reason,
                                       cache: cache.root.path)
        }
        let wanted = try files.files(in: info.files, repo: repo.id)

        var pending: [(file: String, metadata: FileMetadata)] = []
        for file in wanted where !cache.hasFile(repo, commit: info.commit, file: file) {
            pending.append((file, try await metadata(repo, commit: info.commit, file: file, endpoint: endpoint)))
        }

        let downloader = FileDownloader(
            http: HubHTTP(timeout: environment.downloadTimeout), retry: retry, lockTimeout: lockTimeout,
            hasToken: environment.token != nil)
        let total = pending.reduce(Int64(0)) { $0 + ($1.metadata.size ?? 0) }
        var completed: Int64 = 0
        for (file, metadata) in pending {
            let blob = cache.blob(repo, etag: metadata.etag)
            if !FileManager.default.fileExists(atPath: blob.path) {
                let item = BlobDownload(
                    source: metadata.location,
                    authorization: sameHost(metadata.location, endpoint) ? authorization : nil,
                    blob: blob, lock: cache.lockFile(repo, etag: metadata.etag),
                    expectedSize: metadata.size, sha256: metadata.sha256, repo: repo.id, file: file)
                let before = completed
                try await downloader.fetch(item) { bytes in
                    progress?(DownloadProgress(
                        file: file, fileBytes: bytes, fileTotal: metadata.size,
                        completedBytes: before + bytes, totalBytes: total))
                }
            }
            completed += metadata.size ?? 0
            try cache.link(repo, commit: info.commit, file: file, etag: metadata.etag)
            // Also reported for a blob another repository or process already had.
            let size = metadata.size ?? 0
            progress?(DownloadProgress(file: file, fileBytes: size, fileTotal: metadata.size,
                                       completedBytes: completed, totalBytes: total))
        }
        try cache.writeRef(repo, commit: info.commit)
        return cache.snapshotFolder(repo, commit: info.commit)
    }

    // MARK: - Hub requests

    /// A revision's commit and file list (`GET /api/models/{repo}/revision/{revision}`).
    struct RevisionInfo: Sendable {
        var commit: String
        var files: Set<String>
    }

    /// One file's metadata from `HEAD /{repo}/resolve/{commit}/{file}`.
    struct FileMetadata: Sendable {
        /// The blob name: `X-Linked-Etag` (a sha256) for large files, else `ETag`.
        var etag: String
        /// The sha256 to check the content against, when the etag is one.
        var sha256: String?
        var size: Int64?
        /// Where to GET the bytes: the cross-host redirect target, or the resolve URL itself.
        var location: URL
    }

    private var authorization: String? { environment.token.map { "Bearer \($0)" } }

    private func endpointURL() throws(HubError) -> URL {
        guard let url = URL(string: environment.endpoint), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", url.host != nil
        else { throw .invalidEndpoint(environment.endpoint) }
        return url
    }

    private func revisionInfo(_ repo: RepoID, endpoint: URL) async throws -> RevisionInfo {
        let url = try Self.url(endpoint, "api/models/\(repo.id)/revision/\(Self.escape(repo.revision, keepSlash: false))")
        let (head, body) = try await metadataRequest(url, method: "GET")
        guard head.isSuccess else {
            throw HubError.fromHTTP(head, body: body, repo: repo.id, revision: repo.revision, file: nil,
                                    hasToken: environment.token != nil)
        }
        return try Self.revisionInfo(parsing: body, url: url.absoluteString)
    }

    /// The commit and file list in the body of `GET api/models/{repo}/revision/{rev}`.
    static func revisionInfo(parsing body: Data, url: String) throws(HubError) -> RevisionInfo {
        struct Answer: Decodable {
            struct Sibling: Decodable { var rfilename: String }
            var sha: String?
            var siblings: [Sibling]?
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: body) else {
            throw HubError.badResponse(url: url, reason: "not the JSON of a model revision")
        }
        guard let commit = answer.sha, RepoID.isCommitHash(commit) else {
            throw HubError.badResponse(url: url, reason: "no commit hash ('sha')")
        }
        guard let siblings = answer.siblings else {
            throw HubError.badResponse(url: url, reason: "no file list ('siblings')")
        }
        return RevisionInfo(commit: commit, files: Set(siblings.map(\.rfilename)))
    }

    private func metadata(_ repo: RepoID, commit: String, file: String, endpoint: URL) async throws -> FileMetadata {
        let url = try Self.url(endpoint, "\(repo.id)/resolve/\(commit)/\(Self.escape(file, keepSlash: true))")
        let head: HTTPHead, body: Data
        do {
            (head, body) = try await metadataRequest(url, method: "HEAD")
        } catch let error as TransportError {
            throw HubError.network(url: url.absoluteString, reason: error.reason)
        }
        return try Self.fileMetadata(head: head, body: body, url: url, repo: repo.id, file: file,
                                     hasToken: environment.token != nil)
    }

    /// A file's metadata from the answer to `HEAD {repo}/resolve/{commit}/{file}`: where to
    /// download it, its ETag (the sha256 for LFS files) and size.
    static func fileMetadata(head: HTTPHead, body: Data, url: URL, repo: String, file: String,
                             hasToken: Bool) throws(HubError) -> FileMetadata {
        let location: URL
        if head.isRedirect {
            guard let target = head.header("Location"), let resolved = URL(string: target, relativeTo: head.url) else {
                throw HubError.badResponse(url: url.absoluteString, reason: "redirect without Location")
            }
            location = resolved.absoluteURL
        } else if head.isSuccess {
            location = head.url
        } else {
            throw HubError.fromHTTP(head, body: body, repo: repo, file: file, hasToken: hasToken)
        }
        guard let etag = Self.normalizeEtag(head.header("X-Linked-Etag") ?? head.header("ETag")) else {
            throw HubError.badResponse(url: url.absoluteString, reason: "no usable ETag for \(file)")
        }
        let sizeText = head.header("X-Linked-Size") ?? (head.isRedirect ? nil : head.header("Content-Length"))
        var size: Int64?
        if let sizeText {
            guard let value = Int64(sizeText), value >= 0 else {
                throw HubError.badResponse(url: url.absoluteString, reason: "bad size '\(sizeText)' for \(file)")
            }
            size = value
        }
        let isSHA256 = etag.utf8.count == 64 && etag.utf8.allSatisfy {
            (0x30...0x39).contains($0) || (0x61...0x66).contains($0)
        }
        return FileMetadata(etag: etag, sha256: isSHA256 ? etag : nil, size: size, location: location)
    }

    /// A small request to the Hub itself, with the token, following same-host redirects only,
    /// retried on timeouts, dropped connections and 5xx.
    private func metadataRequest(_ url: URL, method: String) async throws -> (HTTPHead, Data) {
        let http = HubHTTP(timeout: environment.metadataTimeout)
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        let attempts = max(1, min(retry.attempts, 3))
        for attempt in 1...attempts {
            do {
                let answer = try await http.send(request, redirects: .sameHostOnly)
                if !RetryPolicy.isRetryable(status: answer.0.status) || attempt == attempts { return answer }
            } catch let error as TransportError {
                if attempt == attempts { throw error }
            }
            try await Task.sleep(nanoseconds: UInt64(retry.delay(afterFailures: attempt) * 1e9))
        }
        throw TransportError(reason: "no attempt made", isTimeout: false)
    }

    // MARK: - Helpers

    private static func url(_ endpoint: URL, _ path: String) throws(HubError) -> URL {
        let base = endpoint.absoluteString.hasSuffix("/") ? endpoint.absoluteString : endpoint.absoluteString + "/"
        guard let url = URL(string: base + path) else {
            throw .badResponse(url: base + path, reason: "cannot form a URL")
        }
        return url
    }

    /// Percent-encodes a path part as huggingface_hub's `quote` does (`/` kept in file names).
    private static func escape(_ text: String, keepSlash: Bool) -> String {
        var allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        if keepSlash { allowed.insert("/") }
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// `W/"abc"` or `"abc"` → `abc`; `nil` unless the result is safe as a file name.
    static func normalizeEtag(_ raw: String?) -> String? {
        guard var etag = raw?.trimmingCharacters(in: .whitespaces) else { return nil }
        if etag.hasPrefix("W/") { etag.removeFirst(2) }
        etag = etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard !etag.isEmpty, etag.utf8.count <= 128, !etag.hasPrefix("."),
              etag.utf8.allSatisfy({
                  (0x30...0x39).contains($0) || (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0)
                      || $0 == 0x2d || $0 == 0x5f || $0 == 0x2e
              })
        else { return nil }
        return etag
    }

    private func sameHost(_ a: URL, _ b: URL) -> Bool {
        a.host?.lowercased() == b.host?.lowercased() && a.port == b.port && a.scheme == b.scheme
    }
}
