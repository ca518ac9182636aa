import CLIPKit
@testable import CLIPKitServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("POST /v1/embeddings (in-process)")
struct EmbeddingsRouteTests {
    @Test("text embeddings match the library, in OpenAI's shape, float and base64")
    func text() async throws {
        let pipeline = try ServerFixtures.loadedPipeline()
        let expected = try pipeline.textEmbeddings(["a cat", "a dog"])
        let width = pipeline.embeddingSize
        let app = try ServerFixtures.application()
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/embeddings", method: .post, headers: jsonHeaders,
                                     body: try jsonBody(["input": ["a cat", "a dog"], "model": "m"])) { response in
                #expect(response.status == .ok)
                let object = try response.object()
                #expect(object["object"] as? String == "list")
                #expect(object["model"] as? String == "m")
                let usage = try #require(object["usage"] as? [String: Any])
                #expect((usage["prompt_tokens"] as? Int ?? 0) > 0)
                let data = try #require(object["data"] as? [[String: Any]])
                #expect(data.count == 2)
                for (i, item) in data.enumerated() {
                    #expect(item["object"] as? String == "embedding")
                    #expect(item["index"] as? Int == i)
                    let vector = try #require(item["embedding"] as? [NSNumber]).map(\.floatValue)
                    #expect(vector.count == width)
                    for j in 0..<width { #expect(abs(vector[j] - expected.scalars[i * width + j]) <= ServerFixtures.runToRun) }
                }
            }
            try await client.execute(uri: "/v1/embeddings", method: .post, headers: jsonHeaders,
                                     body: try jsonBody(["input": "a cat", "encoding_format": "base64"])) { response in
                let object = try response.object()
                #expect(object["model"] as? String == "tiny-clip")
                let item = try #require((object["data"] as? [[String: Any]])?.first)
                let text = try #require(item["embedding"] as? String)
                let bytes = try #require(Data(base64Encoded: text))
                #expect(bytes.count == width * 4)
                let floats = (0..<width).map { j in
                    Float(bitPattern: UInt32(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: j * 4, as: UInt32.self) }))
                }
                // Base64 carries the engine's floats bit for bit: compare with the same text
                // alone (the same products, so the same bits; within a batch of two, its row
                // may differ in the last bits: ServerFixtures.runToRun).
                let alone = try pipeline.textEmbeddings(["a cat"])
                for j in 0..<width { #expect(floats[j] == alone.scalars[j]) }
            }
        }
    }

    @Test("image embeddings (modality image) match the library")
    func image() async throws {
        let pipeline = try ServerFixtures.loadedPipeline()
        let png = try ServerFixtures.png
        let expected = try pipeline.imageEmbeddings([ImageDecoder.decode(png, name: "png")]).scalars
        let app = try ServerFixtures.application()
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/embeddings", method: .post, headers: jsonHeaders,
                                     body: try jsonBody(["input": [ServerFixtures.dataURI(png)], "modality": "image"])) { response in
                #expect(response.status == .ok)
                let item = try #require((try response.object()["data"] as? [[String: Any]])?.first)
                let vector = try #require(item["embedding"] as? [NSNumber]).map(\.floatValue)
                #expect(vector.count == expected.count)
                for j in vector.indices { #expect(abs(vector[j] - expected[j]) <= ServerFixtures.runToRun) }
            }
        }
    }

    @Test("invalid embeddings requests", arguments: [
        (#"{"input": []}"#, 422, "no_input"),
        (#"{"input": "x", "encoding_format": "int8"}"#, 422, "invalid_encoding_format"),
        (#"{"input": "x", "modality": "audio"}"#, 422, "invalid_modality"),
        (#"{"input": "x", "dimensions": 3}"#, 422, "invalid_dimensions"),
        (#"{"input": ["AAAA"], "modality": "image"}"#, 422, "unsupported_format"),
        (#"{"input": ["https://example.com/a.png"], "modality": "image"}"#, 422, "url_not_supported"),
        (#"{"input": [[1, 2, 3]]}"#, 400, "invalid_json"),
        (#"{"model": "x"}"#, 400, "invalid_json"),
        (#"{"input": ["0", "1", "2", "3", "4", "5", "6", "7", "8"]}"#, 422, "too_many_inputs"),
    ])
    func invalid(body: String, status: Int, code: String) async throws {
        let app = try ServerFixtures.application { $0.maxQueue = 8 }
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/embeddings", method: .post, headers: jsonHeaders,
                                     body: ByteBuffer(string: body)) { response in
                #expect(response.status.code == status)
                #expect(response.errorCode() == code)
            }
        }
    }
}
