import CLIPKit
@testable import CLIPKitServer
import Foundation
import Testing

@Suite("Metrics and caches")
struct MetricsTests {
    @Test("histograms are cumulative with +Inf, sum and count")
    func histogram() {
        var histogram = Histogram(bounds: [1, 2.5])
        for value in [0.5, 1, 2, 3] { histogram.observe(value) }
        #expect(histogram.lines(name: "h", labels: "r=\"x\"") == [
            #"h_bucket{r="x",le="1"} 2"#, #"h_bucket{r="x",le="2.5"} 3"#, #"h_bucket{r="x",le="+Inf"} 4"#,
            #"h_sum{r="x"} 6.5"#, #"h_count{r="x"} 4"#,
        ])
    }

    @Test("the exposition has every family the issue asks for")
    func exposition() {
        let metrics = ServerMetrics()
        metrics.recordRequest(route: "/v1/classify", status: 200, seconds: 0.02)
        metrics.recordRequest(route: "/v1/classify", status: 503, seconds: 0.001)
        metrics.recordBatch(size: 3, seconds: 0.01)
        let text = metrics.render(queueDepth: 5, admitted: 7, modelReady: true, openConnections: 3)
        for line in [#"clipkit_requests_total{route="/v1/classify",status="200"} 1"#,
                     #"clipkit_requests_total{route="/v1/classify",status="503"} 1"#,
                     #"clipkit_request_duration_seconds_bucket{route="/v1/classify",le="0.025"} 2"#,
                     #"clipkit_batch_size_bucket{le="2"} 0"#, #"clipkit_batch_size_bucket{le="4"} 1"#,
                     "clipkit_queue_depth 5", "clipkit_admitted_items 7", "clipkit_images_total 3", "clipkit_model_ready 1"] {
            #expect(text.contains(line + "\n"), "\(line)")
        }
        #expect(text.contains("clipkit_images_per_second "))
        // Every sample line is `name{labels} number`.
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let value = line.split(separator: " ").last.map(String.init) ?? ""
            #expect(Double(value) != nil, "\(line)")
        }
    }

    @Test("the label cache evicts the least recently used entry past its row bound")
    func labelCacheEviction() async throws {
        let cache = LabelEmbeddingCache(capacityRows: 4)
        let computed = Counter()
        func get(_ labels: [String]) async throws {
            _ = try await cache.embeddings(for: .init(templates: ["{}"], labels: labels)) {
                computed.increment()
                return Tensor(zeros: [labels.count, 2])
            }
        }
        try await get(["a", "b"])      // miss
        try await get(["c", "d"])      // miss (4 rows)
        try await get(["a", "b"])      // hit; c,d is now least recent
        try await get(["e"])           // miss; evicts c,d
        #expect(cache.count == 2)
        try await get(["a", "b"])      // hit
        try await get(["c", "d"])      // miss again
        #expect(computed.value == 4)
        try await get(Array(repeating: "x", count: 9).enumerated().map { "\($0.offset)" })  // too big to keep
        #expect(cache.count <= 2)
    }

    @Test("a waiter that is cancelled stops waiting; the computation still fills the cache")
    func labelCacheCancelledWaiter() async throws {
        let cache = LabelEmbeddingCache(capacityRows: 10)
        let key = LabelEmbeddingCache.Key(templates: ["{}"], labels: ["a"])
        let computed = Counter()
        // The computation runs until the test releases it, so the order of events is fixed
        // without timing anything (a loaded or sanitized run can stall any task for seconds).
        let (release, releaser) = AsyncStream<Void>.makeStream()
        let waiter = Task {
            try await cache.embeddings(for: key) {
                for await _ in release { break }
                computed.increment()
                return Tensor(zeros: [1, 3])
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(computed.value == 0)  // the waiter gave up while the computation was still running
        releaser.yield()
        let tensor = try await cache.embeddings(for: key) { Tensor(zeros: [2, 2]) }  // the running or cached result
        #expect(tensor.shape == [1, 3])
        #expect(computed.value == 1)
    }

    @Test("a failed label computation is not cached")
    func labelCacheFailure() async throws {
        struct Failure: Error {}
        let cache = LabelEmbeddingCache(capacityRows: 10)
        let key = LabelEmbeddingCache.Key(templates: ["{}"], labels: ["a"])
        await #expect(throws: Failure.self) { try await cache.embeddings(for: key) { throw Failure() } }
        #expect(cache.count == 0)
        let tensor = try await cache.embeddings(for: key) { Tensor(zeros: [1, 3]) }
        #expect(tensor.shape == [1, 3])
    }
}

/// A thread-safe counter.
final class Counter: Sendable {
    private let state = Locked(0)
    func increment() { state.withLock { $0 += 1 } }
    var value: Int { state.withLock { $0 } }
}
