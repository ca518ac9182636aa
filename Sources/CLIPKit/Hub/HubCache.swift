// Layout of huggingface_hub 2.4's cache (`file_download.py`: `repo_folder_name`,
// `_create_symlink`, `_cache_commit_hash_for_specific_revision`), so that either client finds
// what the other downloaded:
//
//     <cache>/models--org--name/blobs/<etag>                  file contents, named by etag
//     <cache>/models--org--name/snapshots/<commit>/<file>     relative symlink to ../../blobs/<etag>
//     <cache>/models--org--name/refs/<revision>               the commit hash a branch or tag points to
//     <cache>/.locks/models--org--name/<etag>.lock            flock(2) lock held while downloading
import Foundation

/// The on-disk Hub cache shared with Python's huggingface_hub.
struct HubCache: Sendable {
    /// The cache folder (`HF_HUB_CACHE`).
    let root: URL

    func repoFolder(_ repo: RepoID) -> URL {
        root.appendingPathComponent(repo.folderName, isDirectory: true)
    }

    func snapshotFolder(_ repo: RepoID, commit: String) -> URL {
        repoFolder(repo).appendingPathComponent("snapshots", isDirectory: true)
            .appendingPathComponent(commit, isDirectory: true)
    }

    func blob(_ repo: RepoID, etag: String) -> URL {
        repoFolder(repo).appendingPathComponent("blobs", isDirectory: true).appendingPathComponent(etag)
    }

    func lockFile(_ repo: RepoID, etag: String) -> URL {
        root.appendingPathComponent(".locks", isDirectory: true)
            .appendingPathComponent(repo.folderName, isDirectory: true)
            .appendingPathComponent(etag + ".lock")
    }

    func refFile(_ repo: RepoID) -> URL {
        repoFolder(repo).appendingPathComponent("refs", isDirectory: true).appendingPathComponent(repo.revision)
    }

    /// The commit `repo.revision` stands for, as far as the cache knows: the revision itself when
    /// it is a commit hash, else the content of `refs/<revision>`.
    func cachedCommit(_ repo: RepoID) -> String? {
        if repo.revisionIsCommit { return repo.revision }
        guard let data = try? Data(contentsOf: refFile(repo)), data.count <= 256,
              let text = String(data: data, encoding: .utf8)
        else { return nil }
        let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return RepoID.isCommitHash(commit) ? commit : nil
    }

    /// Whether `file` in the snapshot resolves to a readable regular file (a dangling symlink does not).
    func hasFile(_ repo: RepoID, commit: String, file: String) -> Bool {
        var isDirectory: ObjCBool = false
        let path = snapshotFolder(repo, commit: commit).appendingPathComponent(file).path
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// Points `refs/<revision>` at `commit`, atomically (temporary file, then rename).
    func writeRef(_ repo: RepoID, commit: String) throws(HubError) {
        guard !repo.revisionIsCommit, cachedCommit(repo) != commit else { return }
        let ref = refFile(repo)
        let temporary = ref.deletingLastPathComponent()
            .appendingPathComponent(".\(ref.lastPathComponent).\(UUID().uuidString.prefix(8)).tmp")
        do {
            try FileManager.default.createDirectory(
                at: ref.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(commit.utf8).write(to: temporary)
            guard rename(temporary.path, ref.path) == 0 else {
                throw HubError.cacheIO(path: ref.path, reason: String(cString: strerror(errno)))
            }
        } catch let error as HubError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw .cacheIO(path: ref.path, reason: error.localizedDescription)
        }
    }

    /// Makes `snapshots/<commit>/<file>` a relative symlink to `blobs/<etag>`, replacing whatever
    /// was there. The blob must already be complete: the snapshot never shows a partial file.
    func link(_ repo: RepoID, commit: String, file: String, etag: String) throws(HubError) {
        let pointer = snapshotFolder(repo, commit: commit).appendingPathComponent(file)
        // From snapshots/<commit>/<dirs...>/<name> back up to the repository folder.
        let depth = 2 + file.split(separator: "/").count - 1
        let target = String(repeating: "../", count: depth) + "blobs/" + etag
        do {
            try FileManager.default.createDirectory(
                at: pointer.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw .cacheIO(path: pointer.deletingLastPathComponent().path, reason: error.localizedDescription)
        }
        unlink(pointer.path)
        guard symlink(target, pointer.path) == 0 else {
            let reason = String(cString: strerror(errno))
            // Another process may have created the same link in between; that is fine.
            if let existing = try? FileManager.default.destinationOfSymbolicLink(atPath: pointer.path),
               existing == target {
                return
            }
            throw .cacheIO(path: pointer.path, reason: reason)
        }
    }
}
