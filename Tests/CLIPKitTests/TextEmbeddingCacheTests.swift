import Foundation
import Testing
@testable import CLIPKit

@Suite("Text-embedding cache")
struct TextEmbeddingCacheTests {
    /// A fresh cache folder, removed by the caller.
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("clipkit-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Deterministic unit-free rows: prompt `p` → `[hash(p) + j]`, distinct per prompt.
    static func rows(_ prompts: [String], width: Int) -> TextEmbeddingRows {
        var scalars = [Float]()
        for prompt in prompts {
            let seed = Float(prompt.unicodeScalars.reduce(0) { ($0 * 31 + Int($1.value)) % 9973 })
            scalars += (0..<width).map { seed + Float($0) / 8 }
        }
        return TextEmbeddingRows(embeddings: Tensor(shape: [prompts.count, width], scalars: scalars)!,
                                 truncated: prompts.map { $0.hasPrefix("long") })
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var computed = [String]()
        func add(_ prompts: [String]) { lock.withLock { computed += prompts } }
        var prompts: [String] { lock.withLock { computed } }
    }

    let model = ModelIdentity(contentID: "sha256:test")

    func lookup(_ cache: TextEmbeddingCache, _ prompts: [String], model: ModelIdentity? = nil, width: Int = 8,
                counter: Counter? = nil) throws -> TextEmbeddingLookup {
        try cache.embeddings(for: prompts, model: model ?? self.model, width: width) { missing in
            counter?.add(missing)
            return Self.rows(missing, width: width)
        }
    }

    @Test func secondLookupHitsAndReturnsTheSameBits() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = TextEmbeddingCache(directory: dir)
        let counter = Counter()
        let prompts = ["a cat", "long dog", "a cat", "ünïcödé 🐱"]
        let first = try lookup(cache, prompts, counter: counter)
        #expect(counter.prompts == ["a cat", "long dog", "ünïcödé 🐱"])  // duplicates computed once
        #expect(first.hits == 0 && first.misses == 3 && first.problems.isEmpty)
        #expect(first.embeddings == Self.rows(prompts, width: 8).embeddings)
        #expect(first.truncated == [false, true, false, false])

        let second = try lookup(cache, prompts, counter: counter)
        #expect(counter.prompts.count == 3)  // nothing recomputed
        #expect(second.hits == 3 && second.misses == 0 && second.problems.isEmpty)
        #expect(second.embeddings == first.embeddings && second.truncated == first.truncated)

        // Partial hit: only the new prompt is computed; a fresh instance (another process) sees the file.
        let third = try lookup(TextEmbeddingCache(directory: dir), ["a bird", "a cat"], counter: counter)
        #expect(counter.prompts.suffix(1) == ["a bird"])
        #expect(third.hits == 1 && third.misses == 1)
        #expect(third.embeddings == Self.rows(["a bird", "a cat"], width: 8).embeddings)

        // Another model, or another width, does not share entries.
        let other = try lookup(cache, ["a cat"], model: ModelIdentity(contentID: "sha256:other"), counter: counter)
        #expect(other.misses == 1)
        let summary = cache.summary()
        #expect(summary.count == 2)
        #expect(Set(summary.map(\.prompts)) == [4, 1])
        #expect(summary.allSatisfy { $0.problem == nil && $0.width == 8 })
        #expect(Set(summary.compactMap(\.model)) == ["sha256:test", "sha256:other"])
        let freed = try cache.clear()
        #expect(freed > 0 && cache.summary().isEmpty)
    }

    @Test func wrongShapeFromComputeThrows() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = TextEmbeddingCache(directory: dir)
        #expect(throws: TextEmbeddingCacheError.wrongShape(expected: [1, 8], actual: [1, 4])) {
            try cache.embeddings(for: ["a"], model: model, width: 8) { Self.rows($0, width: 4) }
        }
        #expect(throws: TextEmbeddingCacheError.wrongShape(expected: [1, 0], actual: [])) {
            try cache.embeddings(for: ["a"], model: model, width: 0) { Self.rows($0, width: 0) }
        }
        let none = try lookup(cache, [])
        #expect(none.embeddings.shape == [0, 8] && none.hits == 0 && none.misses == 0)
    }

    /// Every kind of damage is detected, reported, and repaired by recomputing; never a crash.
    @Test(arguments: ["truncate", "flip-vector", "flip-prompt", "magic", "garbage", "empty", "huge-count"])
    func damagedFilesAreRebuilt(damage: String) throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = TextEmbeddingCache(directory: dir)
        let prompts = ["a cat", "a dog", "a bird"]
        _ = try lookup(cache, prompts)
        let url = cache.fileURL(for: model)
        var bytes = [UInt8](try Data(contentsOf: url))
        switch damage {
        case "truncate": bytes.removeLast(5)
        case "flip-vector": bytes[bytes.count - 3] ^= 0x40
        case "flip-prompt": bytes[TextEmbeddingFile.headerSize + 16 + 3 * TextEmbeddingFile.entrySize + 2] ^= 0x01
        case "magic": bytes[0] = UInt8(ascii: "X")
        case "garbage": bytes = (0..<500).map { UInt8(truncatingIfNeeded: $0 &* 7919) }
        case "empty": bytes = []
        default: for i in 16..<24 { bytes[i] = 0xFF }  // count = 2^64 − 1
        }
        try Data(bytes).write(to: url)
        let counter = Counter()
        let again = try lookup(cache, prompts, counter: counter)
        #expect(counter.prompts == prompts)
        #expect(again.embeddings == Self.rows(prompts, width: 8).embeddings)
        #expect(again.problems.count == 1)
        if case .corrupt = again.problems.first {} else { Issue.record("expected a corrupt-file problem, got \(again.problems)") }
        #expect(cache.summary().first?.problem == nil)  // rebuilt
        let healed = try lookup(cache, prompts)
        #expect(healed.hits == 3 && healed.problems.isEmpty)
    }

    @Test func theFileFormatIsAsDocumented() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = TextEmbeddingCache(directory: dir)
        _ = try lookup(cache, ["ab", "long c"], width: 4)
        let data = try Data(contentsOf: cache.fileURL(for: model))
        let bytes = [UInt8](data)
        func u32(_ at: Int) -> UInt32 { data.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt32.self)) } }
        func u64(_ at: Int) -> UInt64 { data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt64.self)) } }
        #expect(Array(bytes[0..<8]) == Array("CLIPKTXT".utf8))
        #expect(u32(8) == 1 && u32(12) == 4 && u64(16) == 2 && u64(24) == 8)
        #expect(String(decoding: bytes[48..<80], as: UTF8.self) == model.key)
        let identityBytes = Int(u32(40))
        #expect(String(decoding: bytes[96..<(96 + identityBytes)], as: UTF8.self) == "sha256:test")
        // identity 11 bytes → entries at 112; prompts at 160; vectors at 176 (16-aligned); 2 × 4 floats.
        #expect(data.count == 176 + 2 * 4 * 4)
        #expect(u32(112 + 24 + 12) == 1)  // "long c" truncated flag
        #expect(String(decoding: bytes[160..<168], as: UTF8.self) == "ablong c")
        let first = data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 176, as: Float.self) }
        #expect(first == Self.rows(["ab"], width: 4).embeddings.scalars[0])
    }

    /// Least recently used prompts go first when the file would pass the bound.
    @Test func evictsLeastRecentlyUsedPrompts() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clock = ManualClock()
        // Width 64 → 256 bytes per vector + 24 + prompt: four prompts fit in 1,500 bytes, five do not.
        let cache = TextEmbeddingCache(directory: dir, maxBytes: 1500, touchInterval: 0, clock: clock.now)
        for (t, prompt) in ["p1", "p2", "p3", "p4"].enumerated() {
            clock.set(Int64(100 + t))
            _ = try lookup(cache, [prompt], width: 64)
        }
        #expect(cache.summary().first?.prompts == 4)
        clock.set(200)
        _ = try lookup(cache, ["p1"], width: 64)  // hit; refreshes p1's stamp (touchInterval 0)
        clock.set(201)
        _ = try lookup(cache, ["p5"], width: 64)  // p2 is now the oldest and goes
        let counter = Counter()
        clock.set(202)
        let check = try lookup(cache, ["p1", "p3", "p4", "p5"], width: 64, counter: counter)
        #expect(check.hits == 4 && counter.prompts.isEmpty)
        let size = try #require(cache.summary().first?.bytes)
        #expect(size <= 1500)
        clock.set(203)
        _ = try lookup(cache, ["p2"], width: 64, counter: counter)
        #expect(counter.prompts == ["p2"])
    }

    /// Other models' files are dropped, least recently written first, to respect the bound.
    @Test func evictsOtherModelsFiles() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = TextEmbeddingCache(directory: dir, maxBytes: 1800, touchInterval: 3600) { 100 }
        let a = ModelIdentity(contentID: "sha256:a"), b = ModelIdentity(contentID: "sha256:b"), c = ModelIdentity(contentID: "sha256:c")
        _ = try lookup(cache, ["x", "y"], model: a, width: 64)
        Thread.sleep(forTimeInterval: 0.02)
        _ = try lookup(cache, ["x", "y"], model: b, width: 64)
        Thread.sleep(forTimeInterval: 0.02)
        _ = try lookup(cache, ["x", "y", "z"], model: c, width: 64)
        let left = Set(cache.summary().compactMap(\.model))
        #expect(left.contains("sha256:c") && !left.contains("sha256:a"))
        #expect(cache.summary().reduce(0) { $0 + $1.bytes } <= 1800)
    }

    /// Concurrent writers (separate descriptors, as separate processes have) keep each other's work.
    @Test func concurrentWritersMerge() async throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = self.model
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<6 {
                group.addTask {
                    let cache = TextEmbeddingCache(directory: dir)
                    for round in 0..<5 {
                        let prompts = (0..<10).map { "w\(worker) r\(round) p\($0)" }
                        _ = try? cache.embeddings(for: prompts, model: model, width: 8) { Self.rows($0, width: 8) }
                    }
                }
            }
        }
        let counter = Counter()
        let all = (0..<6).flatMap { w in (0..<5).flatMap { r in (0..<10).map { "w\(w) r\(r) p\($0)" } } }
        let check = try lookup(TextEmbeddingCache(directory: dir), all, counter: counter)
        #expect(counter.prompts.isEmpty, "lost \(counter.prompts.count) of \(all.count) prompts")
        #expect(check.embeddings == Self.rows(all, width: 8).embeddings)
    }

    @Test func modelIdentity() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A Hub cache: snapshots/<commit>/model.safetensors → ../../blobs/<sha256>.
        let sha = String(repeating: "ab", count: 32)
        let blobs = dir.appendingPathComponent("blobs"), snapshot = dir.appendingPathComponent("snapshots/c0ffee")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: snapshot, withIntermediateDirectories: true)
        try Data("weights".utf8).write(to: blobs.appendingPathComponent(sha))
        let link = snapshot.appendingPathComponent("model.safetensors")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "../../blobs/\(sha)")
        #expect(ModelIdentity(weightsFile: link).contentID == "etag:\(sha)")

        let plain = dir.appendingPathComponent("model.safetensors")
        try Data("weights".utf8).write(to: plain)
        let before = ModelIdentity(weightsFile: plain)
        #expect(before.contentID.hasPrefix("file:") && before.contentID.contains(":7:"))
        #expect(before == ModelIdentity(weightsFile: plain))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000)], ofItemAtPath: plain.path)
        #expect(ModelIdentity(weightsFile: plain) != before)
        #expect(ModelIdentity(weightsFile: plain).key != before.key)
        #expect(ModelIdentity(contentID: "x", variant: "int8").key != ModelIdentity(contentID: "x").key)
        #expect(before.key.count == 32)
    }

    @Test func defaultDirectoryFollowsXDG() {
        let home = URL(fileURLWithPath: "/home/u")
        #expect(TextEmbeddingCache.defaultDirectory(environment: [:], home: home).path == "/home/u/.cache/clipkit")
        #expect(TextEmbeddingCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "/x/c"], home: home).path == "/x/c/clipkit")
        #expect(TextEmbeddingCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "rel"], home: home).path == "/home/u/.cache/clipkit")
    }

    /// Cached and uncached classifiers agree bit for bit, and the second build runs no text tower.
    @Test func cachedClassifierEqualsUncached() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pipeline = try #require(PromptEnsembleTests.pipeline)
        let cache = TextEmbeddingCache(directory: dir)
        let labels = ["cat", "dog", "bird"]
        let plain = try ZeroShotClassifier(pipeline: pipeline, labels: labels, templates: .simpleImageNet)
        let cold = try ZeroShotClassifier(pipeline: pipeline, labels: labels, templates: .simpleImageNet, cache: cache)
        let warm = try ZeroShotClassifier(pipeline: pipeline, labels: labels, templates: .simpleImageNet, cache: cache)
        #expect(cold.cacheLookup?.misses == 21 && cold.cacheLookup?.hits == 0)
        #expect(warm.cacheLookup?.misses == 0 && warm.cacheLookup?.hits == 21)
        #expect(plain.labelEmbeddings == cold.labelEmbeddings && cold.labelEmbeddings == warm.labelEmbeddings)
        #expect(plain.cacheLookup == nil)
        let longLabel = String(repeating: "cat ", count: 100)
        let truncated = try ZeroShotClassifier(pipeline: pipeline, labels: ["dog", longLabel], templates: ["a {}"], cache: cache)
        let again = try ZeroShotClassifier(pipeline: pipeline, labels: ["dog", longLabel], templates: ["a {}"], cache: cache)
        #expect(truncated.truncatedLabels == [longLabel] && again.truncatedLabels == [longLabel])
        #expect(again.cacheLookup?.hits == 2)
    }
}

/// A settable clock for LRU tests.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64 = 0
    func set(_ seconds: Int64) { lock.withLock { value = seconds } }
    var now: @Sendable () -> Int64 { { [self] in lock.withLock { value } } }
}
