// Validation follows huggingface_hub 2.4 `utils/_validators.py` (`validate_repo_id`).
import Foundation

/// A model repository on the Hub and the revision wanted from it: `org/name[@revision]`.
public struct RepoID: Hashable, Sendable, CustomStringConvertible {
    /// `org/name`, or `name` for the few repositories without a namespace.
    public let id: String
    /// A branch, tag or commit hash; `main` unless given.
    public let revision: String

    /// Longest repository id the Hub accepts.
    static let maxLength = 96

    /// Parses `org/name` or `org/name@revision`.
    public init(parsing text: String, defaultRevision: String = "main") throws(HubError) {
        if let at = text.firstIndex(of: "@") {
            try self.init(String(text[..<at]), revision: String(text[text.index(after: at)...]))
        } else {
            try self.init(text, revision: defaultRevision)
        }
    }

    /// Checks `id` and `revision` and pairs them.
    public init(_ id: String, revision: String = "main") throws(HubError) {
        try Self.validate(id: id)
        try Self.validate(revision: revision)
        self.id = id
        self.revision = revision
    }

    public var description: String { "\(id)@\(revision)" }

    /// The cache folder name huggingface_hub uses: `models--org--name`.
    var folderName: String { (["models"] + id.split(separator: "/").map(String.init)).joined(separator: "--") }

    /// Whether `revision` is a full 40-character commit hash (which never moves).
    var revisionIsCommit: Bool { Self.isCommitHash(revision) }

    static func isCommitHash(_ text: String) -> Bool {
        text.utf8.count == 40 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    private static func validate(id: String) throws(HubError) {
        guard !id.isEmpty else { throw .invalidRepoID(id, reason: "empty") }
        guard id.utf8.count <= maxLength else {
            throw .invalidRepoID(id, reason: "longer than \(maxLength) characters")
        }
        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else {
            throw .invalidRepoID(id, reason: "expected 'name' or 'org/name'")
        }
        func isWord(_ c: UInt8) -> Bool {
            (0x30...0x39).contains(c) || (0x41...0x5a).contains(c) || (0x61...0x7a).contains(c) || c == 0x5f
        }
        for part in parts {
            let bytes = Array(part.utf8)
            guard let first = bytes.first, let last = bytes.last else {
                throw .invalidRepoID(id, reason: "empty part")
            }
            guard bytes.allSatisfy({ isWord($0) || $0 == 0x2d || $0 == 0x2e }) else {
                throw .invalidRepoID(id, reason: "only letters, digits, '-', '_' and '.' are allowed")
            }
            guard isWord(first), isWord(last) else {
                throw .invalidRepoID(id, reason: "each part must start and end with a letter, digit or '_'")
            }
        }
        guard !id.contains("--"), !id.contains("..") else {
            throw .invalidRepoID(id, reason: "'--' and '..' are forbidden")
        }
    }

    private static func validate(revision: String) throws(HubError) {
        guard !revision.isEmpty else { throw .invalidRevision(revision, reason: "empty") }
        guard revision.utf8.count <= 255 else { throw .invalidRevision(revision, reason: "too long") }
        guard !revision.hasPrefix("/"), !revision.hasSuffix("/"),
              !revision.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }),
              !revision.contains("//")
        else { throw .invalidRevision(revision, reason: "not a branch, tag or commit name") }
        guard revision.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7f && $0 != "\\" }) else {
            throw .invalidRevision(revision, reason: "contains spaces or control characters")
        }
    }
}
