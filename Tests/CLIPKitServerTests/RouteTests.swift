import CLIPKit
@testable import CLIPKitServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Server routes (in-process)")
struct RouteTests {
    @Test("GET /health is 200 with a loaded model, GET /info reports model and limits")
    func healthAndInfo() async throws {
        let app = try ServerFixtures.application { $0.maxQueue = 77 }
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect((try? response.object())?["status"] as? String == "ok")
                #expect(response.headers[HeaderNames.queueTime] != nil)
                #expect(response.headers[HeaderNames.inferenceTime] != nil)
            }
            try await client.execute(uri: "/info", method: .get) { response in
                let info = try response.object()
                #expect(info["model_id"] as? String == "tiny-clip")
                #expect(info["ready"] as? Bool == true)
                #expect(info["version"] as? String == ServerVersion.current)
                #expect(info["precision"] as? String == "fp32")
                let model = try #require(info["model"] as? [String: Any])
                #expect(model["embedding_dimensions"] as? Int == ServerFixtures.pipeline?.embeddingSize)
                #expect((info["limits"] as? [String: Any])?["max_queue"] as? Int == 77)
            }
        }
    }

    @Test("GET /health is 503 with Retry-After until the model has loaded")
    func healthWhileLoading() async throws {
        let gate = AsyncStream<Void>.makeStream()
        let app = try CLIPServer.application(configuration: ServerFixtures.configuration()) {
            for await _ in gate.stream { break }
            return try ServerFixtures.loadedPipeline()
        }
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "1")
                #expect(response.errorCode() == "model_loading")
            }
            let body = try jsonBody(["images": [ServerFixtures.dataURI(try ServerFixtures.png)], "labels": ["a", "b"]])
            try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders, body: body) { response in
                #expect(response.status == .serviceUnavailable)
            }
            gate.continuation.yield()
            var ready = false
            for _ in 0..<200 where !ready {
                ready = try await client.execute(uri: "/health", method: .get) { $0.status == .ok }
                if !ready { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(ready)
        }
    }

    @Test("GET /health is 503 with the reason when loading failed")
    func healthAfterFailedLoad() async throws {
        struct Broken: LocalizedError { var errorDescription: String? { "no such model" } }
        let app = try CLIPServer.application(configuration: ServerFixtures.configuration()) { throw Broken() }
        try await app.test(.router) { client in
            var code: String?
            for _ in 0..<200 where code != "model_unavailable" {
                code = try await client.execute(uri: "/health", method: .get) { $0.errorCode() }
                if code != "model_unavailable" { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(code == "model_unavailable")
        }
    }

    @Test("POST /v1/classify scores match ZeroShotClassifier for the same image, labels and template")
    func classifyMatchesLibrary() async throws {
        let pipeline = try ServerFixtures.loadedPipeline()
        let png = try ServerFixtures.png
        let labels = ["cat", "dog", "a red car"]
        let template = "a photo of {}"
        let expected = try ZeroShotClassifier(pipeline: pipeline, labels: labels, template: template)
            .classify(png, name: "png")
        let app = try ServerFixtures.application()
        try await app.test(.router) { client in
            let body = try jsonBody(["images": [ServerFixtures.dataURI(png), png.base64EncodedString()],
                                     "labels": labels, "template": template])
            try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders, body: body) { response in
                #expect(response.status == .ok)
                let results = try #require(try response.object()["results"] as? [[String: Any]])
                #expect(results.count == 2)
                for result in results {
                    #expect(result["label"] as? String == expected.label)
                    let scores = try #require(result["scores"] as? [[String: Any]])
                    #expect(scores.count == 3)
                    for score in scores {
                        let label = try #require(score["label"] as? String)
                        let value = try #require((score["score"] as? NSNumber)?.floatValue)
                        #expect(abs(value - (expected.score(of: label) ?? -1)) <= ServerFixtures.runToRun)
                        #expect(score["cosine"] != nil)
                    }
                }
            }
        }
    }

    @Test("templates, or a built-in set's name: the library's ensemble (golden-tested against open_clip)", arguments: [
        ["{}", "a photo of a {}", "a drawing of a {}"], ["simple-imagenet"],
    ])
    func ensemble(templates: [String]) async throws {
        let pipeline = try ServerFixtures.loadedPipeline()
        let png = try ServerFixtures.png
        let labels = ["cat", "dog"]
        let expanded = PromptTemplateSet.named(templates[0])?.templates ?? templates
        let expected = try ZeroShotClassifier(pipeline: pipeline, labels: labels, templates: expanded)
            .classify(png, name: "png")
        let single = try ZeroShotClassifier(pipeline: pipeline, labels: labels, template: expanded[0])
            .classify(png, name: "png")
        #expect(abs((expected.score(of: "cat") ?? 0) - (single.score(of: "cat") ?? 0)) > 1e-4)
        let app = try ServerFixtures.application()
        try await app.test(.router) { client in
            let body = try jsonBody(["images": [png.base64EncodedString()], "labels": labels, "templates": templates])
            try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders, body: body) { response in
                #expect(response.status == .ok)
                let result = try #require((try response.object()["results"] as? [[String: Any]])?.first)
                let scores = try #require(result["scores"] as? [[String: Any]])
                #expect(scores.count == labels.count)
                for score in scores {
                    let label = try #require(score["label"] as? String)
                    let value = try #require((score["score"] as? NSNumber)?.floatValue)
                    #expect(abs(value - (expected.score(of: label) ?? -1)) <= ServerFixtures.runToRun)
                }
            }
        }
    }

    @Test("top_k limits the scores; the best label is first")
    func topK() async throws {
        let app = try ServerFixtures.application()
        try await app.test(.router) { client in
            let jpeg = try ServerFixtures.jpeg
            let body = try jsonBody(["images": [ServerFixtures.dataURI(jpeg, type: "image/jpeg"), jpeg.base64EncodedString()],
                                     "labels": ["a", "b", "c", "d"], "top_k": 2])
            try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders, body: body) { response in
                let results = try #require(try response.object()["results"] as? [[String: Any]])
                #expect(results.count == 2)
                #expect(results[1]["error"] == nil, "plain base64 of a JPEG must decode")
                let result = try #require(results.first)
                let scores = try #require(result["scores"] as? [[String: Any]])
                #expect(scores.count == 2)
                #expect(scores[0]["label"] as? String == result["label"] as? String)
                let first = try #require((scores[0]["score"] as? NSNumber)?.floatValue)
                let second = try #require((scores[1]["score"] as? NSNumber)?.floatValue)
                #expect(first >= second)
            }
        }
    }

    @Test("Hugging Face's zero-shot shape is answered in HF's shape with HF's default template")
    func huggingFaceShape() async throws {
        let pipeline = try ServerFixtures.loadedPipeline()
        let png = try ServerFixtures.png
        let expected = try ZeroShotClassifier(pipeline: pipeline, labels: ["cat", "dog"],
                                              template: "This is a photo of {}.").classify(png, name: "png")
        let app = try ServerFixtures.application()
        try await app.test(.router) { client in
            let single = try jsonBody(["inputs": png.base64EncodedString(),
                                       "parameters": ["candidate_labels": ["cat", "dog"]]])
            try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders, body: single) { response in
                #expect(response.status == .ok)
                let list = try #require(try response.json() as? [[String: Any]])
                #expect(list.count == 2)
                #expect(list[0]["label"] as? String == expected.label)
                let score = try #require((list[0]["score"] as? NSNumber)?.floatValue)
                #expect(abs(score - expected.score) <= ServerFixtures.runToRun)
            }
            let many = try jsonBody(["inputs": [png.base64EncodedString(), ServerFixtures.dataURI(png)],
                                     "parameters": ["candidate_labels": "cat, dog", "hypothesis_template": "{}"]])
            try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders, body: many) { response in
                let lists = try #require(try response.json() as? [[[String: Any]]])
                #expect(lists.count == 2)
                #expect(Set(lists[0].compactMap { $0["label"] as? String }) == ["cat", "dog"])
            }
        }
    }

    @Test("multipart/form-data with image files and repeated labels fields")
    func multipart() async throws {
        let png = try ServerFixtures.png
        let boundary = "clipkit-test-boundary"
        var body = Data()
        func field(_ name: String, _ value: String) {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"cat.png\"\r\nContent-Type: image/png\r\n\r\n".utf8)
        body += png + Data("\r\n".utf8)
        field("labels", "cat")
        field("labels", "dog")
        field("top_k", "1")
        body += Data("--\(boundary)--\r\n".utf8)
        let form = ByteBuffer(bytes: body)
        let app = try ServerFixtures.application()
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/classify", method: .post,
                                     headers: [.contentType: "multipart/form-data; boundary=\(boundary)"],
                                     body: form) { response in
                #expect(response.status == .ok)
                let results = try #require(try response.object()["results"] as? [[String: Any]])
                #expect(results.count == 1)
                #expect((results[0]["scores"] as? [Any])?.count == 1)
                #expect(["cat", "dog"].contains(results[0]["label"] as? String ?? ""))
            }
        }
    }

    @Test("an undecodable image is an item error; all bad is 422; URLs are refused, never fetched")
    func perItemErrors() async throws {
        let app = try ServerFixtures.application()
        try await app.test(.router) { client in
            let mixed = try jsonBody(["images": [ServerFixtures.dataURI(try ServerFixtures.png),
                                                 Data("not an image".utf8).base64EncodedString(),
                                                 "http://169.254.169.254/latest/meta-data", "%%%"],
                                      "labels": ["a", "b"]])
            try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders, body: mixed) { response in
                #expect(response.status == .ok)
                let results = try #require(try response.object()["results"] as? [[String: Any]])
                #expect(results.count == 4)
                #expect(results[0]["label"] != nil)
                let codes = results.dropFirst().map { ($0["error"] as? [String: Any])?["code"] as? String }
                #expect(codes == ["unsupported_format", "url_not_supported", "invalid_base64"])
            }
            let allBad = try jsonBody(["images": ["AAAA", "http://example.com/cat.jpg"], "labels": ["a"]])
            try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders, body: allBad) { response in
                #expect(response.status == .unprocessableContent)
                #expect(response.errorCode() == "no_valid_images")
            }
        }
    }

    @Test("label errors are 422 with a code", arguments: [
        ("{}", "no_images"),
        (#"{"labels": ["a"]}"#, "no_images"),
        (#"{"images": ["x"]}"#, "no_labels"),
        (#"{"images": ["x"], "labels": []}"#, "no_labels"),
        (#"{"images": ["x"], "labels": ["a", " "]}"#, "empty_label"),
        (#"{"images": ["x"], "labels": ["a", "a"]}"#, "duplicate_label"),
        (#"{"images": ["x"], "labels": ["a"], "template": "no placeholder"}"#, "invalid_template"),
        (#"{"images": ["x"], "labels": ["a"], "top_k": 0}"#, "invalid_top_k"),
        (#"{"images": ["x"], "labels": ["l0", "l1", "l2", "l3", "l4", "l5"]}"#, "too_many_labels"),
        (#"{"images": ["x"], "labels": ["a", "b", "c", "d", "e"], "templates": ["{}", "a {}", "b {}", "c {}", "d {}"]}"#,
         "too_many_prompts"),
        (#"{"images": ["x"], "labels": [""# + String(repeating: "y", count: 3000) + #""]}"#, "text_too_long"),
    ])
    func labelErrors(body: String, code: String) async throws {
        let app = try ServerFixtures.application { $0.maxLabels = 5 }
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders,
                                     body: ByteBuffer(string: body)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(response.errorCode() == code)
                let error = try #require(try response.object()["error"] as? [String: Any])
                #expect(error["type"] as? String == "invalid_request_error")
                #expect((error["message"] as? String)?.isEmpty == false)
            }
        }
    }

    @Test("bad JSON and wrong types are 400; other content types are 415", arguments: [
        "{not json", "[1,2]", #"{"images": "x", "labels": ["a"]}"#, #"{"images": [1], "labels": ["a"]}"#, "",
    ])
    func badJSON(text: String) async throws {
        let app = try ServerFixtures.application()
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders,
                                     body: ByteBuffer(string: text)) { response in
                #expect(response.status == .badRequest)
                #expect(response.errorCode() == "invalid_json")
            }
            try await client.execute(uri: "/v1/classify", method: .post, headers: [.contentType: "image/png"],
                                     body: ByteBuffer(string: text)) { response in
                #expect(response.status == .unsupportedMediaType)
            }
        }
    }

    @Test("a body over the limit is 413 from its Content-Length, before it is read")
    func bodyTooLarge() async throws {
        let app = try ServerFixtures.application { $0.maxBodyBytes = 1000 }
        try await app.test(.router) { client in
            let body = ByteBuffer(repeating: UInt8(ascii: "a"), count: 1001)
            try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders, body: body) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.errorCode() == "body_too_large")
            }
            try await client.execute(uri: "/v1/embeddings", method: .post, headers: jsonHeaders, body: body) { response in
                #expect(response.status == .contentTooLarge)
            }
        }
    }

    @Test("an image over the pixel limit is an item error")
    func pixelLimit() async throws {
        let app = try ServerFixtures.application { $0.maxPixelCount = 16 }
        try await app.test(.router) { client in
            let body = try jsonBody(["images": [ServerFixtures.dataURI(try ServerFixtures.png)], "labels": ["a"]])
            try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders, body: body) { response in
                #expect(response.status == .unprocessableContent)
                #expect(response.errorCode() == "too_many_pixels")
            }
        }
    }

    @Test("with an API key: none or a wrong one is 401; Bearer and X-API-Key work; /health stays open")
    func apiKey() async throws {
        let app = try ServerFixtures.application { $0.apiKey = "s3cret" }
        let body = try jsonBody(["input": "a cat"])
        try await app.test(.router) { client in
            for headers: HTTPFields in [jsonHeaders, [.contentType: "application/json", .authorization: "Bearer wrong"],
                                        [.contentType: "application/json", .authorization: "Bearer s3cre"]] {
                try await client.execute(uri: "/v1/embeddings", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.errorCode() == "invalid_api_key")
                    #expect(response.headers[.wwwAuthenticate] == "Bearer")
                }
            }
            try await client.execute(uri: "/v1/embeddings", method: .post,
                                     headers: [.contentType: "application/json", .authorization: "Bearer s3cret"],
                                     body: body) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/embeddings", method: .post,
                                     headers: [.contentType: "application/json", HeaderNames.apiKey: "s3cret"],
                                     body: body) { #expect($0.status == .ok) }
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test("unknown routes are 404 JSON errors, counted as route other")
    func notFound() async throws {
        let app = try ServerFixtures.application()
        try await app.test(.router) { client in
            for path in ["/nope", "/v1/nope", "/v1/classify/x"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .notFound)
                    #expect(response.errorCode() == "not_found")
                    #expect(response.headers[HeaderNames.queueTime] == "0.000")
                }
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"clipkit_requests_total{route="other",status="404"} 3"#))
                #expect(!text.contains("/nope"))
            }
        }
    }

    @Test("random bodies never crash the server or answer 500")
    func randomBodies() async throws {
        var generator = SplitMix(seed: 13)
        let png = [UInt8](try ServerFixtures.png)
        var cases = [(String, ByteBuffer)]()
        for round in 0..<150 {
            let length = Int(generator.next() % 600)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if round % 3 == 1 {  // JSON-ish: a valid prefix, then noise
                bytes = Array(#"{"images": ["data:image/png;base64,"#.utf8) + bytes
            } else if round % 3 == 2 {  // a corrupted image inside a valid request
                var image = png
                for _ in 0..<8 { image[Int(generator.next() % UInt64(image.count))] = UInt8(truncatingIfNeeded: generator.next()) }
                bytes = Array(try JSONSerialization.data(withJSONObject: [
                    "images": [Data(image).base64EncodedString()], "labels": ["a", "b"]]))
            }
            let contentType = round % 4 == 3 ? "multipart/form-data; boundary=\(round)" : "application/json"
            cases.append((contentType, ByteBuffer(bytes: bytes)))
        }
        let app = try ServerFixtures.application()
        try await app.test(.router) { [cases] client in
            for (round, (contentType, body)) in cases.enumerated() {
                for path in ["/v1/classify", "/v1/embeddings"] {
                    try await client.execute(uri: path, method: .post, headers: [.contentType: contentType],
                                             body: body) { response in
                        #expect(response.status.code < 500, "round \(round) \(path): \(String(buffer: response.body))")
                    }
                }
            }
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
        }
    }
}

/// A small deterministic pseudo-random generator (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
