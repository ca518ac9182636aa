import Foundation
import Synchronization
import Testing
@testable import CLIPKit

@Suite("Batch runs")
struct BatchSequenceTests {
    struct Unreadable: Error, Equatable { let index: Int }

    /// A thread-safe counter shared with the loaders.
    final class Counter: Sendable {
        let value = Mutex(0)
        func increment() { value.withLock { $0 += 1 } }
        var current: Int { value.withLock { $0 } }
    }

    func classifier() throws -> ZeroShotClassifier {
        let pipeline = try #require(ZeroShotClassifierTests.pipeline, "the tiny model folder must load")
        return try ZeroShotClassifier(pipeline: pipeline, labels: ["cat", "dog", "bird"])
    }

    /// Inputs whose loaders count how many were started; every 5th fails, and loaders sleep a
    /// little at random so completions arrive out of order.
    static func inputs(count: Int, started: Counter? = nil) -> [ImageInput] {
        (0..<count).map { i in
            .loader(name: "image-\(i)") {
                started?.increment()
                try await Task.sleep(for: .milliseconds((i * 7919) % 5))
                if i % 5 == 3 { throw Unreadable(index: i) }
                return try ZeroShotClassifierTests.image(width: 10 + i % 7, height: 12, seed: i)
            }
        }
    }

    @Test func resultsArriveInInputOrderAndFailuresStayAlone() async throws {
        let classifier = try classifier()
        let inputs = Self.inputs(count: 23)
        var seen = [Int]()
        for await item in classifier.classifications(of: inputs, options: BatchOptions(batchSize: 4, decodingConcurrency: 3)) {
            seen.append(item.index)
            #expect(item.input.name == "image-\(item.index)")
            if item.index % 5 == 3 {
                #expect(item.error as? Unreadable == Unreadable(index: item.index))
            } else {
                let value = try #require(item.value)
                let expected = try classifier.classify(ZeroShotClassifierTests.image(width: 10 + item.index % 7, height: 12, seed: item.index))
                #expect(value.scores.map { $0.label } == expected.scores.map { $0.label })
                #expect(zip(value.scores, expected.scores).allSatisfy { abs($0.score - $1.score) <= Fixtures.runToRun })
            }
        }
        #expect(seen == Array(0..<23))
    }

    @Test func atMostTwoBatchesAreInFlight() async throws {
        let classifier = try classifier()
        let started = Counter()
        let batchSize = 3
        var received = 0
        for await item in classifier.classifications(of: Self.inputs(count: 20, started: started),
                                                     options: BatchOptions(batchSize: batchSize, decodingConcurrency: 8)) {
            let batch = item.index / batchSize
            let count = started.current
            #expect(count <= (batch + 2) * batchSize, "input \(item.index): \(count) loads started")
            received += 1
            try await Task.sleep(for: .milliseconds(2))  // a slow consumer must not let decoding run ahead
        }
        #expect(received == 20)
    }

    @Test func progressIsReportedPerBatch() async throws {
        let classifier = try classifier()
        let reports = Mutex([BatchProgress]())
        let options = BatchOptions(batchSize: 4, progress: { p in reports.withLock { $0.append(p) } })
        for await _ in classifier.classifications(of: Self.inputs(count: 10), options: options) {}
        let all = reports.withLock { $0 }
        #expect(all.map(\.completed) == [4, 8, 10])
        #expect(all.map(\.failed) == [1, 1, 2])  // inputs 3 and 8 fail
        #expect(all.allSatisfy { $0.total == 10 })
    }

    @Test func emptyInputEndsAtOnce() async throws {
        var count = 0
        for await _ in try classifier().classifications(of: []) { count += 1 }
        #expect(count == 0)
    }

    @Test func embeddingsStreamInOrder() async throws {
        let pipeline = try #require(ZeroShotClassifierTests.pipeline)
        var rows = [Int]()
        for await item in pipeline.imageEmbeddings(of: Self.inputs(count: 7), options: BatchOptions(batchSize: 2)) {
            rows.append(item.index)
            if let embedding = item.value {
                #expect(embedding.count == pipeline.embeddingSize)
                #expect(abs(embedding.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
            }
        }
        #expect(rows == Array(0..<7))
    }

    /// Files, encoded bytes (some corrupt), decoded images and loaders (some failing), in turn.
    static func mixedInputs(count: Int) throws -> [ImageInput] {
        let files = ImageManifest.shared.decode.filter { $0.format == "jpeg" || $0.format == "png" }
        let corrupt = Data("not an image".utf8)
        return try (0..<count).map { i in
            switch i % 4 {
            case 0: return .file(ImageManifest.url(files[(i / 4) % files.count].file))
            case 1: return .data(i % 8 == 1 ? corrupt : try Data(contentsOf: ImageManifest.url(files[i % files.count].file)),
                                 name: "bytes-\(i)")
            case 2: return .decoded(try ZeroShotClassifierTests.image(width: 9 + i % 5, height: 11, seed: i), name: "pixels-\(i)")
            default: return inputs(count: i + 1)[i]
            }
        }
    }

    /// Each way of decoding the next batch (idle-priority threads, ordinary tasks, between
    /// batches) gives every input exactly once, in order, with the scores of a direct call and
    /// the failures where the inputs are bad.
    @Test(arguments: [DecodingOverlap.idlePriority, .normalPriority, .none])
    func everyOverlapGivesTheResultsOfDirectCalls(overlap: DecodingOverlap) async throws {
        let classifier = try classifier()
        let inputs = try Self.mixedInputs(count: 26)
        try #require(ImageManifest.shared.decode.count > 0, "the image fixtures must load")
        var options = BatchOptions(batchSize: 5, decodingConcurrency: 2)
        options.overlap = overlap
        var seen = [Int]()
        for await item in classifier.classifications(of: inputs, options: options) {
            seen.append(item.index)
            let direct: Result<Classification, any Error>
            do {
                direct = .success(try classifier.classify(try await inputs[item.index].decoded(options: .init())))
            } catch {
                direct = .failure(error)
            }
            switch (item.result, direct) {
            case (.success(let value), .success(let expected)):
                #expect(value.scores.map(\.label) == expected.scores.map(\.label), "input \(item.index)")
                #expect(zip(value.scores, expected.scores).allSatisfy { abs($0.score - $1.score) <= Fixtures.runToRun },
                        "input \(item.index)")
            case (.failure(let error), .failure(let expected)):
                #expect(error.localizedDescription == expected.localizedDescription, "input \(item.index)")
            default:
                Issue.record("input \(item.index): \(item.result) but a direct call gives \(direct)")
            }
        }
        #expect(seen == Array(0..<26))
    }
}
