@testable import CLIPKitServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("OpenAPI document and web page")
struct OpenAPIDocumentTests {
    static func document() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
    }

    /// Every `$ref` string anywhere in `value`.
    static func references(in value: Any) -> [String] {
        if let object = value as? [String: Any] {
            return object.flatMap { key, value in key == "$ref" ? [value as? String ?? "<not a string>"] : references(in: value) }
        }
        if let array = value as? [Any] { return array.flatMap(references) }
        return []
    }

    @Test("OpenAPI 3.1 with info, and every route the server has, with its method and responses")
    func structure() throws {
        let document = try Self.document()
        #expect(document["openapi"] as? String == "3.1.0")
        let info = try #require(document["info"] as? [String: Any])
        #expect(info["title"] is String)
        #expect(info["version"] as? String == ServerVersion.current)
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        #expect(Set(paths.keys) == ServerMiddleware.knownRoutes)
        let methods: [String: String] = ["/v1/classify": "post", "/v1/embeddings": "post"]
        var operationIDs = Set<String>()
        for (path, item) in paths {
            let method = methods[path] ?? "get"
            #expect(item.keys.sorted() == [method], "\(path)")
            let operation = try #require(item[method] as? [String: Any])
            let id = try #require(operation["operationId"] as? String)
            #expect(operationIDs.insert(id).inserted, "duplicate operationId \(id)")
            let responses = try #require(operation["responses"] as? [String: Any])
            #expect(responses["200"] != nil, "\(path)")
            for code in responses.keys { #expect(Int(code).map { (100...599).contains($0) } == true) }
        }
    }

    @Test("every $ref resolves inside the document")
    func references() throws {
        let document = try Self.document()
        let references = Self.references(in: document)
        #expect(references.count > 20)
        for reference in references {
            #expect(reference.hasPrefix("#/"), "\(reference)")
            var node: Any? = document
            for key in reference.dropFirst(2).split(separator: "/") {
                node = (node as? [String: Any])?[String(key)]
            }
            #expect(node is [String: Any], "unresolved \(reference)")
        }
    }

    @Test("GET /openapi.json and GET / are served")
    func served() async throws {
        let app = try ServerFixtures.application()
        try await app.test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                #expect(String(buffer: response.body) == OpenAPIDocument.json)
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                let html = String(buffer: response.body)
                #expect(html.contains("/v1/classify"))
                // Self-contained: no external scripts, styles or images.
                for pattern in ["src=\"http", "href=\"http", "src=\"//", "href=\"//", "@import", "url("] {
                    #expect(!html.contains(pattern), "\(pattern)")
                }
            }
        }
    }
}
