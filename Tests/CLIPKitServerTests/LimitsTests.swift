import CLIPKit
@testable import CLIPKitServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Batching, overload and deadlines (in-process)")
struct LimitsTests {
    static func classifyBody(images: Int = 1) throws -> ByteBuffer {
        let uri = ServerFixtures.dataURI(try ServerFixtures.png)
        return try jsonBody(["images": Array(repeating: uri, count: images), "labels": ["a", "b"]])
    }

    /// Polls `/metrics` until `count` items are admitted (the first request is in flight).
    static func waitUntilAdmitted(_ count: Int, client: some TestClientProtocol) async throws {
        for _ in 0..<500 {
            let text = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            if text.contains("clipkit_admitted_items \(count)\n") { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("never saw \(count) admitted items")
    }

    @Test("concurrent one-image requests share one vision-tower call")
    func batching() async throws {
        // A long fill wait: the batch starts only when all 8 images are queued. (Both waits are
        // long so that a loaded, sanitized run, which decodes slowly, still fills the batch.)
        let app = try ServerFixtures.application {
            $0.maxBatch = 8
            $0.maxWait = .seconds(60)
            $0.requestTimeout = .seconds(300)
        }
        try await app.test(.router) { client in
            let body = try Self.classifyBody()
            let sizes = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders, body: body) {
                            #expect($0.status == .ok)
                            return $0.headers[HeaderNames.batchSize]
                        }
                    }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(sizes == Array(repeating: "8", count: 8))
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"clipkit_batch_size_bucket{le="4"} 0"#))
                #expect(text.contains(#"clipkit_batch_size_bucket{le="8"} 1"#))
                #expect(text.contains("clipkit_images_total 8"))
            }
        }
    }

    @Test("a full queue answers 503 with Retry-After; a many-image request counts each image")
    func overload() async throws {
        let app = try ServerFixtures.application { $0.maxQueue = 3; $0.maxBatch = 64; $0.maxWait = .seconds(3) }
        try await app.test(.router) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Two images wait in the queue for the 2 s fill time…
                group.addTask {
                    try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders,
                                             body: try Self.classifyBody(images: 2)) { #expect($0.status == .ok) }
                }
                try await Self.waitUntilAdmitted(2, client: client)
                // …so a two-image request does not fit in the remaining one slot…
                try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders,
                                         body: try Self.classifyBody(images: 2)) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(response.headers[.retryAfter] == "1")
                    #expect(response.errorCode() == "queue_full")
                }
                // …and neither do two texts.
                try await client.execute(uri: "/v1/embeddings", method: .post, headers: jsonHeaders,
                                         body: try jsonBody(["input": ["a", "b"]])) { response in
                    #expect(response.status == .serviceUnavailable)
                }
                try await group.waitForAll()
            }
            // More images than the whole queue can never fit: 422, not 503.
            try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders,
                                     body: try Self.classifyBody(images: 4)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(response.errorCode() == "too_many_images")
            }
            // Room is given back after each request.
            try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders,
                                     body: try Self.classifyBody(images: 3)) { #expect($0.status == .ok) }
        }
    }

    @Test("a client may shorten the deadline: a request still queued at its deadline is 504 and never reaches the model")
    func deadline() async throws {
        // The batch would start only after the 10 s fill wait; the 300 ms deadline comes first.
        // (The bound below leaves room for a loaded machine: the model and the label embeddings
        // may still be loading when the request arrives.)
        let app = try ServerFixtures.application { $0.maxBatch = 64; $0.maxWait = .seconds(10) }
        try await app.test(.router) { client in
            var headers = jsonHeaders
            headers[HeaderNames.requestTimeout] = "300"
            let start = ContinuousClock.now
            try await client.execute(uri: "/v1/classify", method: .post, headers: headers,
                                     body: try Self.classifyBody()) { response in
                #expect(response.status == .gatewayTimeout)
                #expect(response.errorCode() == "deadline_exceeded")
            }
            #expect(ContinuousClock.now - start < .seconds(9))
            // Let the fill wait pass: the dropped image must not have been embedded.
            try await Task.sleep(until: start + .seconds(10.5), clock: .continuous)
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("clipkit_images_total 0"))
            }
            headers[HeaderNames.requestTimeout] = "soon"
            try await client.execute(uri: "/v1/classify", method: .post, headers: headers,
                                     body: try Self.classifyBody()) { #expect($0.status == .badRequest) }
        }
    }

    @Test("the client's timeout cannot lengthen the server's")
    func deadlineCannotGrow() async throws {
        let app = try ServerFixtures.application {
            $0.maxBatch = 64; $0.maxWait = .seconds(3); $0.requestTimeout = .milliseconds(300)
        }
        try await app.test(.router) { client in
            var headers = jsonHeaders
            headers[HeaderNames.requestTimeout] = "60000"
            try await client.execute(uri: "/v1/classify", method: .post, headers: headers,
                                     body: try Self.classifyBody()) { #expect($0.status == .gatewayTimeout) }
        }
    }

    @Test("bodies held at once are bounded: past the budget, 503 with Retry-After")
    func bodyBudget() throws {
        let budget = AdmissionBudget(capacity: 100)
        try budget.reserve(60)
        #expect(throws: ServerError.overloaded(retryAfterSeconds: 1)) { try budget.reserve(41) }
        try budget.reserve(40)
        budget.release(60)
        #expect(budget.reserved == 40)
        try budget.reserve(60)
        #expect(throws: ServerError.invalidConfiguration("the buffered-body budget must hold at least one body")) {
            var configuration = ServerConfiguration()
            configuration.maxBufferedBodyBytes = configuration.maxBodyBytes - 1
            try configuration.validate()
        }
    }

    @Test("a request whose body does not fit in the budget left by bodies in flight is 503")
    func bodyBudgetRoute() async throws {
        let body = try Self.classifyBody()  // about 3.5 kB
        #expect(body.readableBytes > 2500 && body.readableBytes < 5000)
        let app = try ServerFixtures.application {
            $0.maxBodyBytes = 5000; $0.maxBufferedBodyBytes = 6000; $0.maxBatch = 64; $0.maxWait = .seconds(3)
        }
        try await app.test(.router) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {  // held in flight by the 2 s fill wait, its body reserved
                    try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders,
                                             body: body) { #expect($0.status == .ok) }
                }
                try await Self.waitUntilAdmitted(1, client: client)  // its body is reserved by now
                try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders,
                                         body: body) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(response.headers[.retryAfter] == "1")
                }
                try await group.waitForAll()
            }
            // Given back afterwards.
            try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders,
                                     body: body) { #expect($0.status == .ok) }
        }
    }

    @Test("label embeddings are cached by (template, labels)")
    func labelCache() async throws {
        let metrics = ServerMetrics()
        let service = InferenceService(configuration: ServerFixtures.configuration(), metrics: metrics)
        service.engine.setReady(try ServerFixtures.loadedPipeline())
        let png = ServerFixtures.dataURI(try ServerFixtures.png)
        func job(_ labels: [String], _ template: String) -> ClassificationJob {
            ClassificationJob(images: [.encoded(png)], labels: labels, templates: [template], topK: nil, singleInput: false)
        }
        let deadline = ContinuousClock.now + .seconds(300)
        for (labels, template) in [(["a", "b"], "{}"), (["a", "b"], "{}"), (["a", "b"], "x {}"), (["b", "a"], "{}")] {
            _ = try await service.classify(job(labels, template), deadline: deadline, timings: RequestTimings())
        }
        #expect(service.labelCache.statistics.hits == 1)
        #expect(service.labelCache.statistics.misses == 3)
        await service.engine.shutdown()
    }

    @Test("label sets being computed hold their prompts against max-queued-prompts: past it 503, cached sets are free")
    func promptBudget() async throws {
        let service = InferenceService(configuration: ServerFixtures.configuration { $0.maxQueuedPrompts = 4 },
                                       metrics: ServerMetrics())
        service.engine.setReady(try ServerFixtures.loadedPipeline())
        let png = ServerFixtures.dataURI(try ServerFixtures.png)
        func job(_ labels: [String]) -> ClassificationJob {
            ClassificationJob(images: [.encoded(png)], labels: labels, templates: ["{}"], topK: nil, singleInput: false)
        }
        let deadline = ContinuousClock.now + .seconds(300)
        _ = try await service.classify(job(["a", "b"]), deadline: deadline, timings: RequestTimings())
        #expect(service.promptBudget.reserved == 0)
        // Other label sets in computation hold 3 of the 4 prompts: a new 2-label set does not fit.
        try service.promptBudget.reserve(3)
        await #expect(throws: ServerError.overloaded(retryAfterSeconds: 1)) {
            _ = try await service.classify(job(["c", "d"]), deadline: deadline, timings: RequestTimings())
        }
        // A cached set needs no prompts.
        #expect(try await service.classify(job(["a", "b"]), deadline: deadline, timings: RequestTimings()).count == 1)
        service.promptBudget.release(3)
        #expect(try await service.classify(job(["c", "d"]), deadline: deadline, timings: RequestTimings()).count == 1)
        #expect(service.promptBudget.reserved == 0)
        // A set larger than the whole budget can never fit: 422, not 503.
        await #expect(throws: ServerError.unprocessable(code: "too_many_prompts",
                                                        message: "labels × templates is limited to 4 prompts per request")) {
            _ = try await service.classify(job(["1", "2", "3", "4", "5"]), deadline: deadline, timings: RequestTimings())
        }
        await service.engine.shutdown()
    }
}
