@testable import CLIPKitServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Real HTTP on loopback")
struct LoopbackTests {
    @Test("16 concurrent clients over real connections all get their own answers")
    func concurrentClients() async throws {
        let app = try ServerFixtures.application { $0.maxBatch = 8; $0.maxWait = .milliseconds(20) }
        let png = ServerFixtures.dataURI(try ServerFixtures.png)
        // 16, not more: HummingbirdTesting's live client gives up after a fixed 20 s, which a
        // loaded CI machine running the other suites at the same time came close to.
        try await app.test(.live) { client in
            let answers = try await withThrowingTaskGroup(of: (Int, [String]).self) { group in
                for i in 0..<16 {
                    group.addTask {
                        // Each client has its own label set, so answers cannot be mixed up unnoticed.
                        let labels = ["label \(i)", "other \(i)"]
                        let body = try jsonBody(["images": [png], "labels": labels])
                        return try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders,
                                                        body: body) { response in
                            #expect(response.status == .ok)
                            let result = try #require((try response.object()["results"] as? [[String: Any]])?.first)
                            let scores = try #require(result["scores"] as? [[String: Any]])
                            return (i, scores.compactMap { $0["label"] as? String }.sorted())
                        }
                    }
                }
                return try await group.reduce(into: [Int: [String]]()) { $0[$1.0] = $1.1 }
            }
            #expect(answers.count == 16)
            for (i, labels) in answers { #expect(labels == ["label \(i)", "other \(i)"]) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"clipkit_requests_total{route="/v1/classify",status="200"} 16"#))
            }
        }
    }

    @Test("a chunked body over the limit is refused with 413 once the limit is passed")
    func chunkedTooLarge() async throws {
        let app = try ServerFixtures.application { $0.maxBodyBytes = 4096 }
        try await app.test(.live) { client in
            // The live client sends a Content-Length; over the limit it is refused at once.
            let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: 100_000)
            try await client.execute(uri: "/v1/classify", method: .post, headers: jsonHeaders, body: body) { response in
                #expect(response.status == .contentTooLarge)
            }
        }
    }
}
