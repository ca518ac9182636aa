import Foundation

/// A disk cache of normalised prompt embeddings, so a label set (or an 80-template ensemble of
/// it) is encoded by the text tower once per model rather than on every run.
///
/// One file per model (``ModelIdentity``) under `<directory>/text-embeddings/`, holding float32
/// vectors keyed by the exact prompt (format: ``TextEmbeddingFile``). Guarantees:
/// - a file is replaced atomically (written to a temporary file, then renamed), so a reader sees
///   the old or the new file, never half of one;
/// - writers take an exclusive `flock` on `<key>.lock` and merge with what is on disk, so two
///   processes adding prompts at once both keep their work;
/// - every file is checked (magic, version, lengths, checksum) before use; a damaged one is
///   ignored and rebuilt, and reported in ``TextEmbeddingLookup/problems``;
/// - the total size stays under ``maxBytes``: least recently used prompts go first, then the
///   least recently written files of other models;
/// - cache trouble never fails a lookup: the embeddings are computed instead.
///
/// Vectors come back bit for bit as they were computed, so cached and uncached runs agree
/// exactly.
public final class TextEmbeddingCache: Sendable {
    /// The cache folder (`$XDG_CACHE_HOME/clipkit`, default `~/.cache/clipkit`).
    public let directory: URL
    /// The size bound for all text-embedding files together, in bytes.
    public let maxBytes: Int
    /// How old a prompt's last-use stamp may get before a lookup that only hits rewrites the
    /// file to refresh it (LRU precision, in seconds).
    let touchInterval: Int64
    /// Seconds since 1970; replaceable by tests.
    let clock: @Sendable () -> Int64

    /// 1 GiB: about six 80-template ImageNet classifiers of ViT-B/32.
    public static let defaultMaxBytes = 1 << 30

    /// `$XDG_CACHE_HOME/clipkit`, else `~/.cache/clipkit`.
    public static func defaultDirectory(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        home: URL = FileManager.default.homeDirectoryForCurrentUser
    ) -> URL {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            return URL(fileURLWithPath: xdg, isDirectory: true).appendingPathComponent("clipkit", isDirectory: true)
        }
        return home.appendingPathComponent(".cache/clipkit", isDirectory: true)
    }

    /// A cache in `directory`, bounded to `maxBytes` (at least 1 MiB is used).
    public convenience init(directory: URL = TextEmbeddingCache.defaultDirectory(), maxBytes: Int = TextEmbeddingCache.defaultMaxBytes) {
        self.init(directory: directory, maxBytes: max(maxBytes, 1 << 20), touchInterval: 3600) {
            Int64(Date().timeIntervalSince1970)
        }
    }

    init(directory: URL, maxBytes: Int, touchInterval: Int64, clock: @escaping @Sendable () -> Int64) {
        self.directory = directory
        self.maxBytes = maxBytes
        self.touchInterval = touchInterval
        self.clock = clock
    }

    /// Where the text-embedding files live.
    public var filesDirectory: URL { directory.appendingPathComponent("text-embeddings", isDirectory: true) }

    func fileURL(for model: ModelIdentity) -> URL {
        filesDirectory.appendingPathComponent(model.key + ".bin")
    }

    func lockURL(for model: ModelIdentity) -> URL {
        filesDirectory.appendingPathComponent(model.key + ".lock")
    }

    /// The embeddings of `prompts` for `model`: cached rows where present, the rest from
    /// `compute` (called at most once, with the missing prompts in order, and never with an
    /// empty list), which are then stored. Rows follow `prompts`; duplicates are computed once.
    /// Rethrows `compute`'s error; throws ``TextEmbeddingCacheError/wrongShape(expected:actual:)``
    /// when `width` is not in 1...65,536 or `compute` returns the wrong number of rows or width.
    /// Cache I/O problems never throw: they are listed in the result's
    /// ``TextEmbeddingLookup/problems``.
    public func embeddings(
        for prompts: [String], model: ModelIdentity, width: Int,
        compute: ([String]) throws -> TextEmbeddingRows
    ) throws -> TextEmbeddingLookup {
        guard width > 0, width <= TextEmbeddingFile.maxWidth else {
            throw TextEmbeddingCacheError.wrongShape(expected: [prompts.count, width], actual: [])
        }
        var problems = [TextEmbeddingCacheError]()
        var unique = [String: Int]()
        var order = [String]()
        for prompt in prompts where unique[prompt] == nil {
            unique[prompt] = order.count
            order.append(prompt)
        }
        var rows = [Float](repeating: 0, count: order.count * width)
        var truncated = [Bool](repeating: false, count: order.count)
        var found = [Bool](repeating: false, count: order.count)
        let existing = read(model: model, width: width, problems: &problems)
        let now = clock()
        var stale = false
        if let existing {
            var index = [String: Int](minimumCapacity: existing.entries.count)
            for (i, entry) in existing.entries.enumerated() { index[entry.prompt] = i }
            rows.withUnsafeMutableBufferPointer { out in
                for (u, prompt) in order.enumerated() {
                    guard let row = index[prompt] else { continue }
                    existing.copyVector(row: row, to: out.baseAddress! + u * width)  // allowed: width > 0, u < order.count
                    truncated[u] = existing.entries[row].flags & 1 != 0
                    found[u] = true
                    if now - existing.entries[row].lastUsed > touchInterval { stale = true }
                }
            }
        }
        let missing = order.indices.filter { !found[$0] }
        if !missing.isEmpty {
            let computed = try compute(missing.map { order[$0] })
            guard computed.embeddings.shape == [missing.count, width], computed.truncated.count == missing.count else {
                throw TextEmbeddingCacheError.wrongShape(expected: [missing.count, width], actual: computed.embeddings.shape)
            }
            for (k, u) in missing.enumerated() {
                rows.replaceSubrange(u * width..<(u + 1) * width, with: computed.embeddings.scalars[k * width..<(k + 1) * width])
                truncated[u] = computed.truncated[k]
            }
        }
        if !missing.isEmpty || stale {
            do {
                try store(order: order, rows: rows, truncated: truncated, model: model, width: width, now: now)
            } catch let error as TextEmbeddingCacheError {
                problems.append(error)
            } catch {
                problems.append(.io(path: fileURL(for: model).path, reason: error.localizedDescription))
            }
        }
        if order.count == prompts.count {  // no duplicates: the rows are already in request order
            let embeddings = Tensor(shape: [prompts.count, width], scalars: rows) ?? Tensor(zeros: [0, width])
            return TextEmbeddingLookup(embeddings: embeddings, truncated: truncated,
                                       hits: order.count - missing.count, misses: missing.count, problems: problems)
        }
        var out = [Float]()
        out.reserveCapacity(prompts.count * width)
        var outTruncated = [Bool]()
        outTruncated.reserveCapacity(prompts.count)
        for prompt in prompts {
            let u = unique[prompt] ?? 0
            out += rows[u * width..<(u + 1) * width]
            outTruncated.append(truncated[u])
        }
        let embeddings = Tensor(shape: [prompts.count, width], scalars: out) ?? Tensor(zeros: [0, width])
        return TextEmbeddingLookup(embeddings: embeddings, truncated: outTruncated,
                                   hits: order.count - missing.count, misses: missing.count, problems: problems)
    }

    /// The model's file if present and valid for `width`; a damaged or mismatched one is reported.
    private func read(model: ModelIdentity, width: Int, problems: inout [TextEmbeddingCacheError]) -> TextEmbeddingFile? {
        let url = fileURL(for: model)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            let file = try TextEmbeddingFile(data: Data(contentsOf: url, options: .alwaysMapped))
            guard file.key == model.key, file.width == width else {
                problems.append(.corrupt(path: url.path, reason: "made for another model or width; rebuilt"))
                return nil
            }
            return file
        } catch let invalid as TextEmbeddingFile.Invalid {
            problems.append(.corrupt(path: url.path, reason: invalid.reason + "; rebuilt"))
        } catch {
            problems.append(.io(path: url.path, reason: error.localizedDescription))
        }
        return nil
    }

    /// Merges `order` (all stamped `now`) into the model's file under its lock, evicts to fit,
    /// and replaces the file atomically.
    private func store(order: [String], rows: [Float], truncated: [Bool], model: ModelIdentity, width: Int, now: Int64) throws {
        let lock: FileLock
        do {
            lock = try FileLock.acquireBlocking(lockURL(for: model), timeout: 30)
        } catch HubError.lockTimeout(let path) {
            throw TextEmbeddingCacheError.lockTimeout(path: path)
        } catch {
            throw TextEmbeddingCacheError.io(path: lockURL(for: model).path, reason: describeCacheError(error))
        }
        defer { lock.release() }
        // Re-read under the lock: another process may have written since our lookup.
        var ignored = [TextEmbeddingCacheError]()
        let current = read(model: model, width: width, problems: &ignored)

        enum Source { case mine(Int), disk(Int) }
        var entries = [TextEmbeddingFile.Entry]()
        var sources = [Source]()
        var seen = Set<String>()
        for (u, prompt) in order.enumerated() {
            seen.insert(prompt)
            entries.append(.init(prompt: prompt, flags: truncated[u] ? 1 : 0, lastUsed: now))
            sources.append(.mine(u))
        }
        if let current {
            for (i, entry) in current.entries.enumerated() where !seen.contains(entry.prompt) {
                entries.append(entry)
                sources.append(.disk(i))
            }
        }
        // LRU: newest first (this lookup's prompts lead), keep what fits in the budget left by
        // the other models' files, or at least this lookup's prompts when those alone fit.
        let otherBytes = otherFiles(than: model).reduce(0) { $0 + $1.bytes }
        let budget = max(maxBytes - otherBytes, min(maxBytes, TextEmbeddingFile.headerSize + entryCost(entries.prefix(order.count), width: width) + 4096))
        let ranked = entries.indices.sorted { entries[$0].lastUsed != entries[$1].lastUsed ? entries[$0].lastUsed > entries[$1].lastUsed : $0 < $1 }
        var kept = [Int]()
        var used = TextEmbeddingFile.headerSize + 64 + model.description.utf8.count
        for i in ranked {
            let cost = entryCost([entries[i]], width: width)
            if used + cost > budget { continue }
            used += cost
            kept.append(i)
        }
        kept.sort()
        let keptEntries = kept.map { entries[$0] }
        guard let data = TextEmbeddingFile.encode(identity: model.description, key: model.key, width: width, entries: keptEntries, vector: { k, destination in
            switch sources[kept[k]] {
            case .mine(let u):
                rows.withUnsafeBufferPointer { destination.update(from: $0.baseAddress! + u * width, count: width) }  // allowed: u < order.count
            case .disk(let row):
                current?.copyVector(row: row, to: destination)
            }
        }) else {
            throw TextEmbeddingCacheError.io(path: fileURL(for: model).path, reason: "too large to encode")
        }
        let url = fileURL(for: model)
        let temporary = filesDirectory.appendingPathComponent(".\(model.key).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
        do {
            try FileManager.default.createDirectory(at: filesDirectory, withIntermediateDirectories: true)
            try data.write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                throw TextEmbeddingCacheError.io(path: url.path, reason: String(cString: strerror(errno)))
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if let error = error as? TextEmbeddingCacheError { throw error }
            throw TextEmbeddingCacheError.io(path: url.path, reason: error.localizedDescription)
        }
        evictOtherFiles(keeping: model, ownBytes: data.count)
    }

    private func entryCost<C: Collection>(_ entries: C, width: Int) -> Int where C.Element == TextEmbeddingFile.Entry {
        entries.reduce(0) { $0 + TextEmbeddingFile.entrySize + $1.prompt.utf8.count + width * 4 }
    }

    private struct StoredFile {
        let url: URL
        let bytes: Int
        let modified: Date
    }

    private func storedFiles() -> [StoredFile] {
        let keys: [URLResourceKey] = [.fileSizeKey, .contentModificationDateKey]
        let urls = (try? FileManager.default.contentsOfDirectory(at: filesDirectory, includingPropertiesForKeys: keys)) ?? []
        return urls.filter { $0.pathExtension == "bin" && !$0.lastPathComponent.hasPrefix(".") }.map { url in
            let values = try? url.resourceValues(forKeys: Set(keys))
            return StoredFile(url: url, bytes: values?.fileSize ?? 0, modified: values?.contentModificationDate ?? .distantPast)
        }
    }

    private func otherFiles(than model: ModelIdentity) -> [StoredFile] {
        let own = model.key + ".bin"
        return storedFiles().filter { $0.url.lastPathComponent != own }
    }

    /// Deletes other models' files, least recently written first, until everything fits.
    private func evictOtherFiles(keeping model: ModelIdentity, ownBytes: Int) {
        var total = ownBytes
        let others = otherFiles(than: model).sorted { $0.modified > $1.modified }
        for file in others {
            if total + file.bytes > maxBytes {
                try? FileManager.default.removeItem(at: file.url)
            } else {
                total += file.bytes
            }
        }
    }

    /// What is stored: one summary per model file, largest first.
    public func summary() -> [TextEmbeddingCacheFile] {
        storedFiles().map { file in
            guard let data = try? Data(contentsOf: file.url, options: .alwaysMapped) else {
                return TextEmbeddingCacheFile(path: file.url.path, bytes: file.bytes, model: nil, width: 0, prompts: 0, lastUsed: nil, problem: "unreadable")
            }
            do {
                let parsed = try TextEmbeddingFile(data: data)
                let last = parsed.entries.map(\.lastUsed).max().map { Date(timeIntervalSince1970: TimeInterval($0)) }
                return TextEmbeddingCacheFile(path: file.url.path, bytes: file.bytes, model: parsed.identity, width: parsed.width,
                                              prompts: parsed.entries.count, lastUsed: last, problem: nil)
            } catch {
                let reason = (error as? TextEmbeddingFile.Invalid)?.reason ?? error.localizedDescription
                return TextEmbeddingCacheFile(path: file.url.path, bytes: file.bytes, model: nil, width: 0, prompts: 0, lastUsed: nil, problem: reason)
            }
        }.sorted { $0.bytes > $1.bytes }
    }

    /// Deletes every text-embedding file (and stray temporary and lock files); returns the bytes
    /// freed. Throws ``TextEmbeddingCacheError/io(path:reason:)`` naming a file it could not remove.
    @discardableResult
    public func clear() throws -> Int {
        let urls = (try? FileManager.default.contentsOfDirectory(at: filesDirectory, includingPropertiesForKeys: [.fileSizeKey])) ?? []
        var freed = 0
        for url in urls where ["bin", "tmp", "lock"].contains(url.pathExtension) {
            let size = (try? url.resourceValues(forKeys: [.fileSizeKey]))?.fileSize ?? 0
            do {
                try FileManager.default.removeItem(at: url)
            } catch {
                throw TextEmbeddingCacheError.io(path: url.path, reason: error.localizedDescription)
            }
            freed += size
        }
        return freed
    }
}

private func describeCacheError(_ error: any Error) -> String {
    (error as? LocalizedError)?.errorDescription ?? String(describing: error)
}
