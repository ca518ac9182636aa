import Foundation

/// Everything that can go wrong while finding a model on the Hugging Face Hub or in its cache.
///
/// Each case carries the repository, file, URL or path it concerns, and `errorDescription` is one
/// line that says what to do where there is something to do.
public enum HubError: LocalizedError, Sendable, Equatable {
    /// `id` is not a valid repository id (`name` or `org/name`, or a local folder that exists).
    case invalidRepoID(String, reason: String)
    /// `revision` cannot be a branch, tag or commit name.
    case invalidRevision(String, reason: String)
    /// `HF_ENDPOINT` is not an http(s) URL.
    case invalidEndpoint(String)
    /// `path` exists but is not a folder.
    case notADirectory(path: String)
    /// `path` looks like a local path (starts with `/`, `./`, `../` or `~`) but does not exist.
    case folderNotFound(path: String)
    /// `HF_HUB_OFFLINE` is set and the cache lacks the model.
    case offlineNotCached(repo: String, revision: String, cache: String)
    /// The Hub could not be reached and the cache lacks the model.
    case unreachable(repo: String, endpoint: String, reason: String, cache: String)
    /// The repository does not exist, or is private and no valid token was sent.
    case repoNotFound(repo: String, hasToken: Bool)
    /// The repository exists but the branch, tag or commit does not.
    case revisionNotFound(repo: String, revision: String)
    /// The repository is gated: its terms must be accepted on the Hub and a token sent.
    case gated(repo: String, hasToken: Bool)
    /// The Hub refused the token (401/403 without a more specific error code).
    case unauthorized(repo: String, hasToken: Bool)
    /// The file does not exist in the repository at that revision.
    case entryNotFound(repo: String, file: String)
    /// The repository has only `pytorch_model.bin` weights, which clipkit does not unpickle.
    case unsupportedWeights(repo: String, file: String)
    /// The downloaded bytes do not hash to the sha256 the Hub announced.
    case checksumMismatch(file: String, expected: String, actual: String)
    /// The downloaded file does not have the size the Hub announced.
    case sizeMismatch(file: String, expected: Int64, actual: Int64)
    /// A transfer failed after every retry.
    case network(url: String, reason: String)
    /// The Hub answered something this client does not understand.
    case badResponse(url: String, reason: String)
    /// Reading or writing the cache failed.
    case cacheIO(path: String, reason: String)
    /// Another process held the download lock for too long.
    case lockTimeout(path: String)

    public var errorDescription: String? {
        switch self {
        case .invalidRepoID(let id, let reason):
            return "'\(id)' is neither a local folder nor a valid Hub repository id (\(reason))"
        case .invalidRevision(let revision, let reason):
            return "'\(revision)' is not a valid revision (\(reason))"
        case .invalidEndpoint(let endpoint):
            return "HF_ENDPOINT '\(endpoint)' is not an http(s) URL"
        case .notADirectory(let path):
            return "\(path) is not a folder (a model folder holds config.json, model.safetensors, ...)"
        case .folderNotFound(let path):
            return "no such model folder: \(path)"
        case .offlineNotCached(let repo, let revision, let cache):
            return "\(repo)@\(revision) is not in the cache at \(cache) and HF_HUB_OFFLINE is set; "
                + "unset HF_HUB_OFFLINE to download it"
        case .unreachable(let repo, let endpoint, let reason, let cache):
            return "cannot reach \(endpoint) (\(reason)) and \(repo) is not in the cache at \(cache); "
                + "connect to the network, or download it elsewhere and use HF_HUB_OFFLINE=1 with that cache"
        case .repoNotFound(let repo, let hasToken):
            return "repository \(repo) not found on the Hub"
                + (hasToken ? " (or HF_TOKEN has no access to it)"
                    : "; if it is private or gated, set HF_TOKEN to a token with access")
        case .revisionNotFound(let repo, let revision):
            return "revision '\(revision)' not found in repository \(repo)"
        case .gated(let repo, let hasToken):
            return "\(repo) is a gated repository: accept its terms on the Hub, then "
                + (hasToken ? "check that HF_TOKEN belongs to that account" : "set HF_TOKEN to your access token")
        case .unauthorized(let repo, let hasToken):
            return "not authorized to read \(repo): "
                + (hasToken ? "HF_TOKEN was refused; check that it is valid" : "set HF_TOKEN to an access token")
        case .entryNotFound(let repo, let file):
            return "file \(file) not found in repository \(repo)"
        case .unsupportedWeights(let repo, let file):
            return "\(repo) has weights only as \(file) (a Python pickle, which clipkit does not execute); "
                + "convert it to model.safetensors (e.g. load and save_pretrained it with transformers) "
                + "and pass the folder"
        case .checksumMismatch(let file, let expected, let actual):
            return "checksum mismatch for \(file): expected sha256 \(expected), got \(actual); "
                + "the partial download was deleted, try again"
        case .sizeMismatch(let file, let expected, let actual):
            return "size mismatch for \(file): expected \(expected) bytes, got \(actual)"
        case .network(let url, let reason):
            return "download of \(url) failed: \(reason)"
        case .badResponse(let url, let reason):
            return "unexpected answer from \(url): \(reason)"
        case .cacheIO(let path, let reason):
            return "cannot write the Hub cache at \(path): \(reason)"
        case .lockTimeout(let path):
            return "timed out waiting for another download to release \(path)"
        }
    }
}

extension HubError {
    /// The error an HTTP error answer stands for, from its status and `X-Error-Code` header.
    static func fromHTTP(_ head: HTTPHead, body: Data, repo: String, revision: String? = nil, file: String?,
                         hasToken: Bool) -> HubError {
        switch head.header("X-Error-Code") {
        case "RepoNotFound": return .repoNotFound(repo: repo, hasToken: hasToken)
        case "GatedRepo": return .gated(repo: repo, hasToken: hasToken)
        case "RevisionNotFound": return .revisionNotFound(repo: repo, revision: revision ?? "?")
        case "EntryNotFound": return .entryNotFound(repo: repo, file: file ?? "?")
        default: break
        }
        switch head.status {
        case 401, 403: return .unauthorized(repo: repo, hasToken: hasToken)
        case 404:
            if let file { return .entryNotFound(repo: repo, file: file) }
            return .repoNotFound(repo: repo, hasToken: hasToken)
        default:
            var reason = "HTTP \(head.status)"
            let message = head.header("X-Error-Message")
                ?? String(decoding: body.prefix(200), as: UTF8.self)
                    .split(whereSeparator: \.isNewline).first.map(String.init)
            if let message, !message.isEmpty { reason += ": " + message }
            return .badResponse(url: head.url.absoluteString, reason: reason)
        }
    }
}
