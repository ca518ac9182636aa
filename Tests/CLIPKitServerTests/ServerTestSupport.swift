import CLIPKit
@testable import CLIPKitServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Fixtures and helpers shared by the server tests.
enum ServerFixtures {
    /// `Tests/Fixtures`, found from this source file.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures", isDirectory: true)

    static let modelDirectory = root.appendingPathComponent("models/tiny-clip")

    /// How far two runs of the engine may disagree on one output element when the other items of
    /// a batch or the order of the labels differ: the parity budget, as `Fixtures.runToRun` in the
    /// library's tests explains (docs/deviations.md, "Batch and label order").
    static let runToRun: Float = 1e-5

    static let pipeline: CLIPPipeline? = try? CLIPPipeline(directory: modelDirectory)

    static func loadedPipeline() throws -> CLIPPipeline {
        try #require(pipeline, "the tiny model folder must load")
    }

    /// Bytes of a committed image fixture.
    static func image(_ name: String) throws -> Data {
        try Data(contentsOf: root.appendingPathComponent("images/decode/\(name)"))
    }

    static var png: Data { get throws { try image("exif_6.png") } }
    static var jpeg: Data { get throws { try image("exif_1.jpg") } }

    static func dataURI(_ data: Data, type: String = "image/png") -> String {
        "data:\(type);base64,\(data.base64EncodedString())"
    }

    /// A configuration for tests: small limits, quick batches.
    static func configuration(_ edit: (inout ServerConfiguration) -> Void = { _ in }) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.modelID = "tiny-clip"
        configuration.decodeConcurrency = 2
        // Tests that are not about deadlines must not hit one on a loaded CI machine (the
        // deadline tests set their own).
        configuration.requestTimeout = .seconds(300)
        edit(&configuration)
        return configuration
    }

    /// An application with the tiny model already loaded.
    static func application(_ edit: (inout ServerConfiguration) -> Void = { _ in }) throws -> some ApplicationProtocol {
        try CLIPServer.application(configuration: configuration(edit), pipeline: loadedPipeline())
    }
}

/// A JSON body.
func jsonBody(_ object: Any) throws -> ByteBuffer {
    ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
}

let jsonHeaders: HTTPFields = [.contentType: "application/json"]

extension TestResponse {
    /// The body parsed as JSON.
    func json() throws -> Any {
        try JSONSerialization.jsonObject(with: Data(buffer: body), options: [.fragmentsAllowed])
    }

    /// The body parsed as a JSON object.
    func object() throws -> [String: Any] {
        try #require(try json() as? [String: Any], "expected a JSON object: \(String(buffer: body))")
    }

    /// The `error.code` of an error answer.
    func errorCode() -> String? {
        ((try? object())?["error"] as? [String: Any])?["code"] as? String
    }
}
