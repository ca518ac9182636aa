import Foundation
import Testing
@testable import CLIPKit

/// The Hub client against the loopback stand-in: downloads, cache reuse, offline mode, resume,
/// checksums, errors and tokens. Every test has its own server and cache folder.
@Suite struct HubClientTests {
    static let wanted = [
        "config.json", "merges.txt", "model.safetensors", "preprocessor_config.json",
        "special_tokens_map.json", "tokenizer_config.json", "vocab.json",
    ]

    @Test func freshDownloadFillsTheCacheLikeHuggingfaceHub() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        let repo = HubSandbox.fakeRepo()
        let folder = try await box.client().snapshot(of: "testorg/model")

        #expect(folder.path == box.repoFolder.appendingPathComponent("snapshots/\(HubSandbox.commit)").path)
        let listed = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(listed == Self.wanted)
        for file in Self.wanted {
            let link = folder.appendingPathComponent(file).path
            let target = try FileManager.default.destinationOfSymbolicLink(atPath: link)
            #expect(target.hasPrefix("../../blobs/"), "\(file) → \(target) is not a relative blob link")
            #expect([UInt8](try Data(contentsOf: folder.appendingPathComponent(file))) == repo.files[file])
        }
        let weightsSHA = HubSandbox.weightsSHA
        #expect(try FileManager.default.destinationOfSymbolicLink(
            atPath: folder.appendingPathComponent("model.safetensors").path) == "../../blobs/\(weightsSHA)")
        let ref = try String(contentsOf: box.repoFolder.appendingPathComponent("refs/main"), encoding: .utf8)
        #expect(ref == HubSandbox.commit)
        #expect(!box.cachedPaths().contains { $0.hasSuffix(".incomplete") })

        let requests = box.server.requests
        // Only the files a CLIP model needs were asked for.
        let resolved = Set(requests.filter { $0.path.contains("/resolve/") }.compactMap { $0.path.split(separator: "/").last })
        #expect(resolved == Set(Self.wanted.map { Substring($0) }))
        // Metadata by HEAD for every file; small files are then fetched from the resolve URL.
        #expect(requests.filter { $0.path.contains("/resolve/") && $0.method == "HEAD" }.count == Self.wanted.count)
        #expect(!requests.contains { $0.path.hasSuffix("/model.safetensors") && $0.method == "GET" })
        // The large file came from the other host name, once, without the token.
        let cdn = requests.filter { $0.path.hasPrefix("/cdn/") }
        #expect(cdn.count == 1)
        #expect(cdn.first?.host == "localhost:\(box.server.port)")
        #expect(cdn.first?.authorization == nil)
    }

    @Test func secondRunMakesNoRequest() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        let first = try await box.client().snapshot(of: "testorg/model")
        let count = box.server.requests.count
        #expect(count > 0)
        let second = try await box.client().snapshot(of: "testorg/model")
        #expect(second == first)
        #expect(box.server.requests.count == count)
        // A commit hash as revision is served from the snapshot folder directly, too.
        let pinned = try await box.client().snapshot(of: "testorg/model", revision: HubSandbox.commit)
        #expect(pinned.path == first.path)
        #expect(box.server.requests.count == count)
    }

    @Test func offlineModeUsesTheCacheAndNeverConnects() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        let online = try await box.client().snapshot(of: "testorg/model")
        box.server.resetLog()
        let offline = try await box.client(["HF_HUB_OFFLINE": "1"]).snapshot(of: "testorg/model")
        #expect(offline == online)
        #expect(box.server.requests.isEmpty)
    }

    @Test func offlineModeWithoutCacheSaysSoAndNeverConnects() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        let error = await #expect(throws: HubError.self) {
            try await box.client(["HF_HUB_OFFLINE": "true"]).snapshot(of: "testorg/model")
        }
        #expect(error == .offlineNotCached(repo: "testorg/model", revision: "main", cache: box.cache.path))
        let message = try #require(error?.errorDescription)
        #expect(message.contains("HF_HUB_OFFLINE") && message.contains(box.cache.path))
        #expect(box.server.requests.isEmpty)
    }

    @Test func unreachableHubWithoutCacheNamesOfflineModeAndTheCache() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        let endpoint = box.server.endpoint
        box.server.stop()  // nothing listens on that port any more
        let error = await #expect(throws: HubError.self) {
            try await box.client(["HF_ENDPOINT": endpoint]).snapshot(of: "testorg/model")
        }
        guard case .unreachable(let repo, _, _, let cache) = error else {
            Issue.record("expected .unreachable, got \(String(describing: error))")
            return
        }
        #expect(repo == "testorg/model" && cache == box.cache.path)
        #expect(error?.errorDescription?.contains("HF_HUB_OFFLINE") == true)
    }

    @Test func resumesAfterTheServerDropsTheConnectionMidFile() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        box.server.configure { $0.dropAfter = 200_000; $0.dropCount = 2 }
        let folder = try await box.client().snapshot(of: "testorg/model")

        let weights = try Data(contentsOf: folder.appendingPathComponent("model.safetensors"))
        #expect([UInt8](weights) == HubSandbox.weights)
        let cdn = box.server.requests.filter { $0.path.hasPrefix("/cdn/") }
        #expect(cdn.count == 3)
        #expect(cdn.first?.range == nil)
        // Later attempts ask only for what is missing.
        let starts = cdn.dropFirst().compactMap { $0.range.flatMap { Int($0.dropFirst(6).dropLast()) } }
        #expect(starts.count == 2)
        #expect(starts.allSatisfy { $0 > 0 })
        #expect(!box.cachedPaths().contains { $0.hasSuffix(".incomplete") })
    }

    @Test func resumesAPartialFileLeftByAnEarlierRun() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        let weights = HubSandbox.weights
        let sha = HubSandbox.weightsSHA
        let blobs = box.repoFolder.appendingPathComponent("blobs")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        try Data(weights.prefix(123_456)).write(to: blobs.appendingPathComponent(sha + ".incomplete"))

        let folder = try await box.client().snapshot(of: "testorg/model")
        #expect([UInt8](try Data(contentsOf: folder.appendingPathComponent("model.safetensors"))) == weights)
        let cdn = box.server.requests.filter { $0.path.hasPrefix("/cdn/") }
        #expect(cdn.map(\.range) == ["bytes=123456-"])
    }

    @Test func aServerIgnoringRangeRestartsTheFileCleanly() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        box.server.configure { $0.dropAfter = 150_000; $0.dropCount = 1; $0.ignoreRange = true }
        let folder = try await box.client().snapshot(of: "testorg/model")
        let weights = HubSandbox.weights
        #expect([UInt8](try Data(contentsOf: folder.appendingPathComponent("model.safetensors"))) == weights)
    }

    @Test func checksumMismatchLeavesNoCorruptBlob() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        box.server.configure { $0.corrupt = true }
        let error = await #expect(throws: HubError.self) {
            try await box.client().snapshot(of: "testorg/model")
        }
        let weights = HubSandbox.weights
        guard case .checksumMismatch(let file, let expected, _) = error else {
            Issue.record("expected .checksumMismatch, got \(String(describing: error))")
            return
        }
        #expect(file == "model.safetensors" && expected == HubSandbox.weightsSHA)
        let paths = box.cachedPaths()
        #expect(!paths.contains { $0.hasPrefix("blobs/\(expected)") }, "\(paths)")
        #expect(!paths.contains { $0.hasSuffix("model.safetensors") }, "\(paths)")
        #expect(!paths.contains { $0.hasPrefix("refs") }, "a ref to an incomplete snapshot: \(paths)")

        // Once the server sends the right bytes, the same cache completes.
        box.server.configure { $0.corrupt = false }
        let folder = try await box.client().snapshot(of: "testorg/model")
        #expect([UInt8](try Data(contentsOf: folder.appendingPathComponent("model.safetensors"))) == weights)
    }

    @Test func serverErrorsAreRetriedWithBackoff() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        box.server.configure { $0.failures = 2 }
        _ = try await box.client().snapshot(of: "testorg/model")
        #expect(box.server.requests.filter { $0.path.hasPrefix("/cdn/") }.count == 3)
    }

    @Test func persistentServerErrorsGiveUp() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        box.server.configure { $0.failures = 100 }
        let error = await #expect(throws: HubError.self) {
            try await box.client(attempts: 3).snapshot(of: "testorg/model")
        }
        guard case .network(_, let reason) = error else {
            Issue.record("expected .network, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("503"))
        #expect(box.server.requests.filter { $0.path.hasPrefix("/cdn/") }.count == 3)
    }

    @Test func aStalledTransferTimesOutAndIsRetried() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        // The stall is far longer than any load can stretch a 1 s timeout and its retry: a
        // loaded CI run once took 22 s here, against 120 s if the timeout did not cut.
        box.server.configure { $0.stalls = 1; $0.stallSeconds = 120 }
        let started = Date()
        _ = try await box.client(["HF_HUB_DOWNLOAD_TIMEOUT": "1"]).snapshot(of: "testorg/model")
        #expect(Date().timeIntervalSince(started) < 90, "the timeout did not cut the stalled request")
        #expect(box.server.requests.filter { $0.path.hasPrefix("/cdn/") }.count == 2)
    }

    @Test func unknownRepositoryIsRepoNotFoundAndMentionsTheToken() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        let error = await #expect(throws: HubError.self) {
            try await box.client().snapshot(of: "testorg/missing")
        }
        #expect(error == .repoNotFound(repo: "testorg/missing", hasToken: false))
        #expect(error?.errorDescription?.contains("HF_TOKEN") == true)
    }

    @Test func privateRepositoryNeedsTheTokenAndGetsItAsBearer() async throws {
        let box = try HubSandbox { $0.isPrivate = true }
        defer { box.cleanUp() }
        let error = await #expect(throws: HubError.self) {
            try await box.client().snapshot(of: "testorg/model")
        }
        #expect(error == .repoNotFound(repo: "testorg/model", hasToken: false))
        #expect(box.server.requests.allSatisfy { $0.authorization == nil })

        box.server.resetLog()
        _ = try await box.client(["HF_TOKEN": box.server.token]).snapshot(of: "testorg/model")
        let hubRequests = box.server.requests.filter { !$0.path.hasPrefix("/cdn/") }
        #expect(!hubRequests.isEmpty)
        #expect(hubRequests.allSatisfy { $0.authorization == "Bearer \(box.server.token)" })
    }

    @Test func tokenFileWrittenByHuggingfaceHubIsUsed() async throws {
        let box = try HubSandbox { $0.isPrivate = true }
        defer { box.cleanUp() }
        try Data((box.server.token + "\n").utf8).write(to: box.home.appendingPathComponent("token"))
        _ = try await box.client().snapshot(of: "testorg/model")
        #expect(box.server.requests.first?.authorization == "Bearer \(box.server.token)")
    }

    @Test func gatedRepositoryIsReportedAsSuch() async throws {
        let box = try HubSandbox { $0.gated = true }
        defer { box.cleanUp() }
        let withoutToken = await #expect(throws: HubError.self) {
            try await box.client().snapshot(of: "testorg/model")
        }
        #expect(withoutToken == .gated(repo: "testorg/model", hasToken: false))
        #expect(withoutToken?.errorDescription?.contains("HF_TOKEN") == true)
        let wrongToken = await #expect(throws: HubError.self) {
            try await box.client(["HF_TOKEN": "hf_wrong"]).snapshot(of: "testorg/model")
        }
        #expect(wrongToken == .gated(repo: "testorg/model", hasToken: true))
    }

    @Test func missingRevisionAndMissingFileAreNamed() async throws {
        let box = try HubSandbox { $0.hidden = ["merges.txt"] }
        defer { box.cleanUp() }
        let revision = await #expect(throws: HubError.self) {
            try await box.client().snapshot(of: "testorg/model", revision: "v9")
        }
        #expect(revision == .revisionNotFound(repo: "testorg/model", revision: "v9"))
        let file = await #expect(throws: HubError.self) {
            try await box.client().snapshot(of: "testorg/model")
        }
        #expect(file == .entryNotFound(repo: "testorg/model", file: "merges.txt"))
        #expect(!box.cachedPaths().contains { $0.hasPrefix("refs") })
    }

    @Test func requiredFileAbsentFromTheListIsNamedWithoutDownloading() async throws {
        let box = try HubSandbox { $0.files["vocab.json"] = nil }
        defer { box.cleanUp() }
        let error = await #expect(throws: HubError.self) {
            try await box.client().snapshot(of: "testorg/model")
        }
        #expect(error == .entryNotFound(repo: "testorg/model", file: "vocab.json"))
        #expect(box.server.requests.count == 1)
    }

    @Test func pytorchOnlyRepositoryGetsAClearErrorBeforeAnyDownload() async throws {
        let box = try HubSandbox { $0.files["model.safetensors"] = nil; $0.large = [] }
        defer { box.cleanUp() }
        let error = await #expect(throws: HubError.self) {
            try await box.client().snapshot(of: "testorg/model")
        }
        #expect(error == .unsupportedWeights(repo: "testorg/model", file: "pytorch_model.bin"))
        #expect(error?.errorDescription?.contains("safetensors") == true)
        #expect(box.server.requests.map(\.path).allSatisfy { $0.hasPrefix("/api/") })
    }

    @Test func processorConfigIsAcceptedInPlaceOfPreprocessorConfig() async throws {
        let box = try HubSandbox {
            $0.files["processor_config.json"] = $0.files.removeValue(forKey: "preprocessor_config.json")
        }
        defer { box.cleanUp() }
        let folder = try await box.client().snapshot(of: "testorg/model")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("processor_config.json").path))
    }

    @Test func sameHostRedirectOfARenamedRepositoryIsFollowed() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        box.server.rename("oldorg/model", to: "testorg/model")
        let folder = try await box.client().snapshot(of: "oldorg/model")
        #expect(folder.path.contains("models--oldorg--model/snapshots/\(HubSandbox.commit)"))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path))
        #expect(box.server.requests.contains { $0.path.hasPrefix("/testorg/model/resolve/") && $0.method == "HEAD" })
    }

    @Test func twoConcurrentDownloadsShareOneTransferThroughTheLock() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        let a = box.client(), b = box.client()
        async let first = a.snapshot(of: "testorg/model")
        async let second = b.snapshot(of: "testorg/model")
        let (one, two) = try await (first, second)
        #expect(one == two)
        #expect(box.server.requests.filter { $0.path.hasPrefix("/cdn/") }.count == 1)
        let weights = HubSandbox.weights
        #expect([UInt8](try Data(contentsOf: one.appendingPathComponent("model.safetensors"))) == weights)
    }

    @Test func progressReachesTheTotal() async throws {
        let box = try HubSandbox()
        defer { box.cleanUp() }
        let last = LastProgress()
        _ = try await box.client().snapshot(of: "testorg/model") { last.value = $0 }
        let final = try #require(last.value)
        #expect(final.totalBytes > 600_000)
        #expect(final.completedBytes == final.totalBytes)
        #expect(final.fileBytes == final.fileTotal)
    }
}

/// The latest progress report, written from URLSession's delegate queue.
final class LastProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: DownloadProgress?
    var value: DownloadProgress? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
