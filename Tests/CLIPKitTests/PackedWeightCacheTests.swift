import Foundation
import Testing
@testable import CLIPKit

/// The packed-weight cache (``PackedWeightCache``): models loaded from it are bit-identical to
/// ones packed fresh; damaged, truncated or mismatched files are rebuilt; trouble never fails a
/// load. Every test uses its own folder and names the fp32 layout explicitly, so none depends on
/// the CPU's kernels, `CLIPKIT_FP32_GEMM` or the user's cache.
@Suite struct PackedWeightCacheTests {
    /// A fresh cache folder, removed by the caller.
    static func temporaryCache(maxBytes: Int = PackedWeightCache.defaultMaxBytes) -> PackedWeightCache {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("clipkit-packed-\(UUID().uuidString)")
        return PackedWeightCache(directory: directory, maxBytes: maxBytes)
    }

    static func remove(_ cache: PackedWeightCache) {
        try? FileManager.default.removeItem(at: cache.directory)
    }

    static func clip(_ precision: Precision, model name: String = "tiny-clip", cache: PackedWeightCache?,
                     fp32Packed: Bool = false) throws -> CLIPModel {
        let directory = Fixtures.url("models/\(name)")
        return try CLIPModel(configuration: CLIPConfiguration.load(from: directory.appendingPathComponent("config.json")),
                             weights: ModelFamily.weightsFile(in: directory), precision: precision,
                             weightCache: cache, fp32Packed: fp32Packed)
    }

    static func siglip(_ precision: Precision, cache: PackedWeightCache?, fp32Packed: Bool = false) throws -> SiglipModel {
        let directory = Fixtures.url("models/tiny-siglip")
        return try SiglipModel(configuration: SiglipConfiguration.load(from: directory.appendingPathComponent("config.json")),
                               weights: ModelFamily.weightsFile(in: directory), precision: precision,
                               weightCache: cache, fp32Packed: fp32Packed)
    }

    /// Text and image embeddings of the CLIP golden inputs, concatenated.
    static func embeddings(_ model: CLIPModel) throws -> [Float] {
        let golden = try ModelGolden.load("tiny-clip")
        return try model.textEmbeddings(tokenIDs: golden.token_ids).scalars
            + model.imageEmbeddings(pixels: golden.pixels).scalars
    }

    static func embeddings(_ model: SiglipModel) throws -> [Float] {
        let golden = try SiglipModelGolden.load("tiny-siglip")
        return try model.textEmbeddings(tokenIDs: golden.token_ids).scalars
            + model.imageEmbeddings(pixels: golden.pixels).scalars
    }

    /// The file a load wrote.
    static func file(of model: any ZeroShotModel) throws -> URL {
        URL(fileURLWithPath: try #require(model.packedWeightLoad.path))
    }

    @Test(arguments: [(Precision.int8, false), (.bf16, false), (.fp32, true), (.int8, true), (.bf16, true)])
    func cachedModelsAreBitIdenticalToFreshlyPackedOnes(precision: Precision, fp32Packed: Bool) throws {
        let cache = Self.temporaryCache()
        defer { Self.remove(cache) }
        let fresh = try Self.clip(precision, cache: nil, fp32Packed: fp32Packed)
        #expect(fresh.packedWeightLoad == .none)
        let reference = try Self.embeddings(fresh)

        let cold = try Self.clip(precision, cache: cache, fp32Packed: fp32Packed)
        #expect(cold.packedWeightLoad.wroteFile)
        #expect(cold.packedWeightLoad.layersFromCache == 0 && cold.packedWeightLoad.layersPacked > 0)
        #expect(cold.packedWeightLoad.problems.isEmpty)
        #expect(FileManager.default.fileExists(atPath: try Self.file(of: cold).path))
        #expect(try Self.embeddings(cold) == reference)

        let warm = try Self.clip(precision, cache: cache, fp32Packed: fp32Packed)
        #expect(warm.packedWeightLoad.isHit, "\(warm.packedWeightLoad)")
        #expect(warm.packedWeightLoad.layersFromCache == cold.packedWeightLoad.layersPacked)
        #expect(!warm.packedWeightLoad.wroteFile)
        #expect(try Self.embeddings(warm) == reference)
    }

    /// A copy of tiny-clip whose vision layer norms each have two channels ×50 (CLIP-like
    /// outliers), in a temporary folder the caller removes.
    static func outlierModel() throws -> URL {
        let source = Fixtures.url("models/tiny-clip")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("clipkit-outliers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: directory.appendingPathComponent(name))
        }
        let url = directory.appendingPathComponent("model.safetensors")
        var bytes = try [UInt8](Data(contentsOf: url))
        let file = try SafeTensorsFile(url: url)
        let headerLength = bytes.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        let norms = file.entries.filter { key, _ in
            key.hasPrefix("vision_model.encoder.") && (key.hasSuffix("layer_norm1.weight") || key.hasSuffix("layer_norm2.weight"))
        }
        #expect(!norms.isEmpty)
        for (_, entry) in norms {
            #expect(entry.dtype == .f32)
            for channel in [3, 17] {
                let at = 8 + headerLength + entry.byteRange.lowerBound + 4 * channel
                let value = bytes.withUnsafeBytes { Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt32.self))) }
                withUnsafeBytes(of: (value * 50).bitPattern.littleEndian) { for i in 0..<4 { bytes[at + i] = $0[i] } }
            }
        }
        try Data(bytes).write(to: url)
        return directory
    }

    /// int8 and bf16 layers fed by outlier channels keep them in fp32 (the q/k/v projections and
    /// fc1 of every vision layer), and those columns come back from the cache bit for bit.
    @Test(arguments: [Precision.int8, .bf16])
    func outlierColumnsSurviveTheCache(precision: Precision) throws {
        let directory = try Self.outlierModel()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = Self.temporaryCache()
        defer { Self.remove(cache) }
        func load(_ cache: PackedWeightCache?) throws -> CLIPModel {
            try CLIPModel(configuration: CLIPConfiguration.load(from: directory.appendingPathComponent("config.json")),
                          weights: directory.appendingPathComponent("model.safetensors"), precision: precision,
                          weightCache: cache, fp32Packed: false)
        }
        func outliers(_ layer: Linear) -> [Int32] {
            switch layer.weights {
            case .int8(let w): return w.outlierColumns
            case .bf16(let w): return w.outliers.columns
            case .fp32, .packedFP32: return []
            }
        }
        let fresh = try load(nil)
        for layer in fresh.vision.encoder.layers {
            #expect(outliers(layer.attention.query) == [3, 17])
            #expect(outliers(layer.mlp.up) == [3, 17])
            #expect(outliers(layer.attention.outputProjection).isEmpty)
        }
        let reference = try Self.embeddings(fresh)
        let cold = try load(cache)
        #expect(cold.packedWeightLoad.wroteFile)
        #expect(try Self.embeddings(cold) == reference)
        let warm = try load(cache)
        #expect(warm.packedWeightLoad.isHit, "\(warm.packedWeightLoad)")
        #expect(outliers(warm.vision.encoder.layers[0].mlp.up) == [3, 17])
        #expect(try Self.embeddings(warm) == reference)
    }

    @Test(arguments: [Precision.int8, .bf16])
    func siglipModelsUseTheCacheToo(precision: Precision) throws {
        let cache = Self.temporaryCache()
        defer { Self.remove(cache) }
        let reference = try Self.embeddings(Self.siglip(precision, cache: nil))
        let cold = try Self.siglip(precision, cache: cache)
        #expect(cold.packedWeightLoad.wroteFile)
        let warm = try Self.siglip(precision, cache: cache)
        #expect(warm.packedWeightLoad.isHit)
        #expect(try Self.embeddings(warm) == reference)
        // Another precision of the same weights is another file.
        let other = try Self.clip(precision == .int8 ? .bf16 : .int8, cache: cache)
        #expect(other.packedWeightLoad.path != warm.packedWeightLoad.path)
        #expect(cache.summary().count == 2)
    }

    @Test func fp32OnBLASUsesNoCache() throws {
        let cache = Self.temporaryCache()
        defer { Self.remove(cache) }
        let model = try Self.clip(.fp32, cache: cache, fp32Packed: false)
        #expect(model.packedWeightLoad == .none)
        #expect(cache.summary().isEmpty)
    }

    /// Ways a file goes bad on disk.
    enum Damage: String, CaseIterable, Sendable {
        case truncated, flippedDataByte, flippedHeaderByte, flippedTableByte, wrongMagic, empty, garbage, longer
    }

    @Test(arguments: Damage.allCases)
    func damagedFilesAreRebuilt(damage: Damage) throws {
        let cache = Self.temporaryCache()
        defer { Self.remove(cache) }
        let reference = try Self.embeddings(Self.clip(.int8, cache: nil))
        let url = try Self.file(of: Self.clip(.int8, cache: cache))
        var bytes = try [UInt8](Data(contentsOf: url))
        switch damage {
        case .truncated: bytes.removeLast(bytes.count / 3)
        case .flippedDataByte: bytes[bytes.count - 100] ^= 0x10
        case .flippedHeaderByte: bytes[20] ^= 0x01
        case .flippedTableByte:
            let table = bytes.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 24, as: UInt64.self))) }
            bytes[table + 17] ^= 0x04  // the first entry's output size
        case .wrongMagic: bytes[0] = UInt8(ascii: "X")
        case .empty: bytes = []
        case .garbage: bytes = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        case .longer: bytes += [UInt8](repeating: 0, count: 64)
        }
        try Data(bytes).write(to: url)

        let rebuilt = try Self.clip(.int8, cache: cache)
        #expect(rebuilt.packedWeightLoad.layersFromCache == 0)
        #expect(rebuilt.packedWeightLoad.wroteFile)
        #expect(!rebuilt.packedWeightLoad.problems.isEmpty, "\(damage)")
        #expect(try Self.embeddings(rebuilt) == reference)
        let again = try Self.clip(.int8, cache: cache)
        #expect(again.packedWeightLoad.isHit)
        #expect(try Self.embeddings(again) == reference)
    }

    /// Every byte of the header and table matters: any single flipped bit there is caught.
    @Test func everyHeaderAndTableByteIsChecked() throws {
        let cache = Self.temporaryCache()
        defer { Self.remove(cache) }
        let url = try Self.file(of: Self.clip(.bf16, cache: cache))
        let original = try Data(contentsOf: url)
        let dataOffset = original.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 32, as: UInt64.self))) }
        #expect(dataOffset > PackedWeightFile.headerSize && dataOffset < original.count)
        _ = try PackedWeightFile(mapping: MappedFile(copying: [UInt8](original)), verifyData: true)
        var caught = 0
        for offset in 0..<dataOffset {
            var bytes = [UInt8](original)
            bytes[offset] ^= 0x20
            let mapping = try MappedFile(copying: bytes)
            if (try? PackedWeightFile(mapping: mapping, verifyData: true)) == nil { caught += 1 } else { Issue.record("byte \(offset) not checked") }
        }
        #expect(caught == dataOffset)
    }

    /// A well-formed file under the model's key whose layers have other dimensions, or other
    /// outlier columns, is not used: every layer is packed again and the file rewritten.
    @Test(arguments: ["dimensions", "outliers", "kind"])
    func filesForOtherLayersAreRebuilt(mismatch: String) throws {
        let cache = Self.temporaryCache()
        defer { Self.remove(cache) }
        let reference = try Self.embeddings(Self.clip(.int8, cache: nil))
        let written = try Self.clip(.int8, cache: cache)
        let url = try Self.file(of: written)
        let original = try PackedWeightFile(url: url)
        let key = PackedWeightKey(weightsFile: written.weightsURL, family: .clip, precision: .int8, fp32Packed: false,
                                  outlierColumnLimit: KernelVariants.outlierColumnLimit,
                                  int8WeightMax: Int(KernelVariants.int8WeightMax))
        #expect(original.key == key.digest)

        // Same names and key; each layer replaced by one of the wrong shape.
        var keep = [AnyObject]()
        var layers = [PackedWeightFile.Layer]()
        for (name, entry) in original.entries.sorted(by: { $0.key < $1.key }) {
            let output = mismatch == "dimensions" ? entry.output + 1 : entry.output
            let weight = FloatStorage(copying: (0..<(output * entry.input)).map { Float($0 % 7) - 3 })
            if mismatch == "kind" {
                let w = FP32Weights(weight, output: output, input: entry.input)
                keep.append(w)
                w.withBuffers { layers.append(.init(name: name, kind: .fp32, output: output, input: entry.input, outlierCount: 0, buffers: $0)) }
            } else {
                let columns: [Int32] = mismatch == "outliers" && entry.outlierCount == 0 ? [0] : []
                let w = Int8Weights(weight, output: output, input: entry.input, outlierColumns: columns)
                keep.append(w)
                w.withBuffers { layers.append(.init(name: name, kind: .int8, output: output, input: entry.input,
                                                    outlierCount: columns.count, buffers: $0)) }
            }
        }
        try FileManager.default.removeItem(at: url)
        try withExtendedLifetime(keep) {
            try PackedWeightFile.write(to: url, key: key.digest, identity: key.identity, layers: layers)
        }
        #expect(try PackedWeightFile(url: url).entries.count == original.entries.count)

        let rebuilt = try Self.clip(.int8, cache: cache)
        #expect(rebuilt.packedWeightLoad.layersFromCache == 0)
        #expect(rebuilt.packedWeightLoad.wroteFile)
        #expect(rebuilt.packedWeightLoad.problems.contains { $0.contains("differed") })
        #expect(try Self.embeddings(rebuilt) == reference)
        #expect(try Self.clip(.int8, cache: cache).packedWeightLoad.isHit)
    }

    /// Another model's file copied under this model's name is refused by its key.
    @Test func anotherModelsFileIsRebuilt() throws {
        let cache = Self.temporaryCache()
        defer { Self.remove(cache) }
        let reference = try Self.embeddings(Self.clip(.int8, cache: nil))
        let mine = try Self.file(of: Self.clip(.int8, cache: cache))
        let other = try Self.file(of: Self.clip(.int8, model: "tiny-clip-f16", cache: cache))
        #expect(mine != other)
        try FileManager.default.removeItem(at: mine)
        try FileManager.default.copyItem(at: other, to: mine)
        let rebuilt = try Self.clip(.int8, cache: cache)
        #expect(rebuilt.packedWeightLoad.layersFromCache == 0)
        #expect(rebuilt.packedWeightLoad.problems.contains { $0.contains("another model") })
        #expect(try Self.embeddings(rebuilt) == reference)
    }

    @Test func anUnwritableCacheStillLoads() throws {
        // A folder below a regular file cannot be created, whoever runs the test (root too).
        let blocker = FileManager.default.temporaryDirectory.appendingPathComponent("clipkit-blocker-\(UUID().uuidString)")
        try Data("not a folder".utf8).write(to: blocker)
        defer { try? FileManager.default.removeItem(at: blocker) }
        let cache = PackedWeightCache(directory: blocker.appendingPathComponent("clipkit"))
        let reference = try Self.embeddings(Self.clip(.int8, cache: nil))
        let model = try Self.clip(.int8, cache: cache)
        #expect(!model.packedWeightLoad.wroteFile)
        #expect(model.packedWeightLoad.problems.contains { $0.hasPrefix("not cached") })
        #expect(try Self.embeddings(model) == reference)
        #expect(cache.summary().isEmpty)
    }

    @Test func theBoundEvictsTheLeastRecentlyUsedFiles() throws {
        let probe = Self.temporaryCache()
        let size = try Data(contentsOf: Self.file(of: Self.clip(.int8, cache: probe))).count
        Self.remove(probe)
        // Room for one int8 file and a little more: a second file evicts the first.
        let cache = Self.temporaryCache(maxBytes: size + size / 2)
        defer { Self.remove(cache) }
        let first = try Self.file(of: Self.clip(.int8, cache: cache))
        let second = try Self.file(of: Self.clip(.int8, cache: cache, fp32Packed: true))
        #expect(!FileManager.default.fileExists(atPath: first.path))
        #expect(FileManager.default.fileExists(atPath: second.path))
        #expect(cache.summary().count == 1)
    }

    @Test func summaryListsAndClearRemovesTheFiles() throws {
        let cache = Self.temporaryCache()
        defer { Self.remove(cache) }
        let model = try Self.clip(.int8, cache: cache)
        let files = cache.summary()
        #expect(files.count == 1)
        let file = try #require(files.first)
        #expect(file.problem == nil)
        #expect(file.layers == model.packedWeightLoad.layersPacked)
        #expect(file.identity?.contains("precision int8") == true)
        #expect(file.identity?.contains("tiny-clip/model.safetensors") == true)
        #expect(try cache.clear() == file.bytes)
        #expect(cache.summary().isEmpty)
    }

    @Test func concurrentLoadsAreHarmless() async throws {
        let cache = Self.temporaryCache()
        defer { Self.remove(cache) }
        let reference = try Self.embeddings(Self.clip(.bf16, cache: nil))
        let results = try await withThrowingTaskGroup(of: [Float].self) { group in
            for _ in 0..<4 { group.addTask { try Self.embeddings(Self.clip(.bf16, cache: cache)) } }
            return try await group.reduce(into: [[Float]]()) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0 == reference })
        let warm = try Self.clip(.bf16, cache: cache)
        #expect(warm.packedWeightLoad.isHit)
        #expect(try Self.embeddings(warm) == reference)
    }

    @Test func theEnvironmentTurnsItOff() {
        #expect(PackedWeightCache.standard(environment: ["CLIPKIT_WEIGHT_CACHE": "0"]) == nil)
        #expect(PackedWeightCache.standard(environment: ["CLIPKIT_WEIGHT_CACHE": "off"]) == nil)
        let on = PackedWeightCache.standard(environment: ["XDG_CACHE_HOME": "/tmp/xdg"])
        #expect(on?.filesDirectory.path == "/tmp/xdg/clipkit/packed")
    }

    /// The key changes with everything that changes the packed bytes, and only with that.
    @Test func theKeyNamesWhatChangesThePackedBytes() {
        let weights = Fixtures.url("models/tiny-clip/model.safetensors")
        func key(_ precision: Precision = .int8, family: ModelFamily = .clip, fp32Packed: Bool = false, limit: Int = 8,
                 weightMax: Int = 127) -> String {
            PackedWeightKey(weightsFile: weights, family: family, precision: precision, fp32Packed: fp32Packed,
                            outlierColumnLimit: limit, int8WeightMax: weightMax).digest
        }
        let base = key()
        #expect(base == key())
        #expect(base.count == 32)
        #expect(Set([base, key(.bf16), key(family: .siglip), key(fp32Packed: true), key(limit: 4),
                     key(weightMax: 63)]).count == 6)
    }
}
