import Foundation
import Testing
@testable import CLIPKit

/// `--model` values: local folders, Hub ids with revisions, Spark NLP aliases.
@Suite struct ModelLocatorTests {
    @Test func localFolderIsReturnedAsIs() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        let folder = try await ModelLocator.resolve(box.home.path, hub: box.client())
        #expect(folder.path == box.home.path)
        #expect(box.server.requests.isEmpty)
    }

    @Test func aFileOrAMissingPathIsAnError() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        let file = box.home.appendingPathComponent("config.json")
        try Data("{}".utf8).write(to: file)
        await #expect(throws: HubError.notADirectory(path: file.path)) {
            try await ModelLocator.resolve(file.path, hub: box.client())
        }
        let missing = box.home.appendingPathComponent("nothing").path
        await #expect(throws: HubError.folderNotFound(path: missing)) {
            try await ModelLocator.resolve(missing, hub: box.client())
        }
        #expect(box.server.requests.isEmpty)
    }

    @Test func hubIDWithRevisionIsDownloaded() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        let folder = try await ModelLocator.resolve("testorg/model@\(HubSandbox.commit)", hub: box.client())
        #expect(folder.lastPathComponent == HubSandbox.commit)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path))
        // A pinned commit writes no ref.
        #expect(!FileManager.default.fileExists(atPath: box.repoFolder.appendingPathComponent("refs").path))
    }

    @Test func sparkNLPNamesAreAliasesOfTheOpenAIRepositories() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        box.server.add(HubSandbox.fakeRepo(id: "openai/clip-vit-base-patch32"))
        let folder = try await ModelLocator.resolve("zero_shot_classifier_clip_vit_base_patch32", hub: box.client())
        #expect(folder.path.contains("/models--openai--clip-vit-base-patch32/snapshots/"))
        #expect(ModelLocator.aliases["clip_vit_large_patch14"] == "openai/clip-vit-large-patch14")
    }
}
