import CLIPKit
@testable import CLIPKitServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `clipkit serve` with the tiny SigLIP model: transformers' zero-shot pipeline answers
/// (sigmoid per label, "This is a photo of {}."), from scripts/fixtures/siglip.py.
@Suite("serve with a SigLIP model (in-process)")
struct SiglipServerTests {
    struct Golden: Decodable {
        struct Result: Decodable {
            let image: String
            let scores: [String: Float]
        }
        let labels: [String]
        let results: [Result]
    }

    static let folder = ServerFixtures.root.appendingPathComponent("models/tiny-siglip")

    static func application() throws -> some ApplicationProtocol {
        let pipeline = try CLIPPipeline(directory: folder)
        return try CLIPServer.application(configuration: ServerFixtures.configuration { $0.modelID = "tiny-siglip" },
                                          pipeline: pipeline)
    }

    static func golden() throws -> (Golden, Data) {
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: ServerFixtures.root.appendingPathComponent("golden/siglip/pipeline.json")))
        let image = try Data(contentsOf: ServerFixtures.root.appendingPathComponent("cli/\(try #require(golden.results.first).image)"))
        return (golden, image)
    }

    @Test("Hugging Face's task shape returns the pipeline's sigmoid scores")
    func huggingFaceShape() async throws {
        let (golden, image) = try Self.golden()
        let expected = try #require(golden.results.first).scores
        let app = try Self.application()
        try await app.test(.router) { client in
            let body = try jsonBody(["inputs": image.base64EncodedString(), "parameters": ["candidate_labels": golden.labels]])
            try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders, body: body) { response in
                #expect(response.status == .ok)
                let list = try #require(try response.json() as? [[String: Any]])
                #expect(list.count == golden.labels.count)
                for item in list {
                    let label = try #require(item["label"] as? String)
                    let score = try #require((item["score"] as? NSNumber)?.floatValue)
                    #expect(abs(score - (expected[label] ?? .infinity)) < 1e-5, "\(label)")
                }
                #expect(list.first?["label"] as? String == expected.max { $0.value < $1.value }?.key)
            }
        }
    }

    @Test("the native shape without a template uses the family's, and /info the model's sizes")
    func nativeShapeAndInfo() async throws {
        let (golden, image) = try Self.golden()
        let expected = try #require(golden.results.first).scores
        let app = try Self.application()
        try await app.test(.router) { client in
            let body = try jsonBody(["images": [image.base64EncodedString()], "labels": golden.labels])
            try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders, body: body) { response in
                #expect(response.status == .ok)
                let object = try response.object()
                let results = try #require(object["results"] as? [[String: Any]], "\(object)")
                let scores = try #require(results.first?["scores"] as? [[String: Any]])
                for item in scores {
                    let label = try #require(item["label"] as? String)
                    let score = try #require((item["score"] as? NSNumber)?.floatValue)
                    #expect(abs(score - (expected[label] ?? .infinity)) < 1e-5, "\(label)")
                }
            }
            try await client.execute(uri: "/info", method: .get) { response in
                let model = try #require(try response.object()["model"] as? [String: Any])
                #expect(model["image_size"] as? Int == 96 && model["patch_size"] as? Int == 16)
                #expect(model["context_length"] as? Int == 64 && model["embedding_dimensions"] as? Int == 32)
            }
        }
    }
}
