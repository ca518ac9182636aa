import Foundation

/// Turns what a user passes as `--model` into a local model folder.
public enum ModelLocator {
    /// Spark NLP's model names and the Hub repositories they were exported from.
    public static let aliases: [String: String] = [
        "zero_shot_classifier_clip_vit_base_patch32": "openai/clip-vit-base-patch32",
        "clip_vit_large_patch14": "openai/clip-vit-large-patch14",
    ]

    /// A local folder path is returned as is (after checking it is a directory); otherwise a Hub
    /// id (optionally `@revision`) is resolved through the cache, downloading what is missing.
    /// Spark NLP's names `zero_shot_classifier_clip_vit_base_patch32` and `clip_vit_large_patch14`
    /// are aliases of `openai/clip-vit-base-patch32` and `openai/clip-vit-large-patch14`.
    ///
    /// - Throws: `HubError`.
    public static func resolve(
        _ idOrPath: String, hub: HubClient = HubClient(),
        progress: (@Sendable (DownloadProgress) -> Void)? = nil
    ) async throws -> URL {
        let path = expandingTilde(idOrPath)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw HubError.notADirectory(path: path) }
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        if ["/", "./", "../", "~"].contains(where: idOrPath.hasPrefix) || idOrPath == "." {
            throw HubError.folderNotFound(path: path)
        }
        var name = idOrPath
        var revision = "main"
        if let at = idOrPath.firstIndex(of: "@") {
            name = String(idOrPath[..<at])
            revision = String(idOrPath[idOrPath.index(after: at)...])
        }
        let repo = try RepoID(aliases[name] ?? name, revision: revision)
        return try await hub.snapshot(of: repo.id, revision: repo.revision, progress: progress)
    }

    private static func expandingTilde(_ path: String) -> String {
        if path == "~" { return FileManager.default.homeDirectoryForCurrentUser.path }
        if path.hasPrefix("~/") {
            return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(String(path.dropFirst(2))).path
        }
        return path
    }
}
