import Foundation
import Testing
@testable import CLIPKit

/// A broken model folder gives a one-line error that names the file and the problem.
@Suite struct ModelLoadingTests {
    let source = Fixtures.url("models/tiny-clip")

    /// A copy of the tiny model's config.json and weights in a scratch folder.
    func copyOfTinyModel() throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory()
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: dir.url.appendingPathComponent(name))
        }
        return dir
    }

    func config(editing edit: (inout [String: Any]) -> Void) throws -> Data {
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as! [String: Any]
        edit(&json)
        return try JSONSerialization.data(withJSONObject: json)
    }

    func loadError(_ dir: TemporaryDirectory) -> Error? {
        do {
            _ = try CLIPModel(directory: dir.url)
            return nil
        } catch {
            return error
        }
    }

    @Test func missingConfig() throws {
        let dir = try copyOfTinyModel()
        try FileManager.default.removeItem(at: dir.url.appendingPathComponent("config.json"))
        let error = try #require(loadError(dir) as? ModelError)
        #expect(error == .missingFile(path: dir.url.appendingPathComponent("config.json").path))
    }

    @Test func missingWeightsMentionsPytorchBin() throws {
        let dir = try copyOfTinyModel()
        try FileManager.default.moveItem(at: dir.url.appendingPathComponent("model.safetensors"), to: dir.url.appendingPathComponent("pytorch_model.bin"))
        let message = try #require(loadError(dir)).localizedDescription
        #expect(message.contains("model.safetensors") && message.contains("pytorch_model.bin"))
    }

    @Test func invalidJSONConfig() throws {
        let dir = try copyOfTinyModel()
        try dir.write("config.json", Data("{\"text_config\": [".utf8))
        guard case .invalidConfiguration(let path, let reason)? = loadError(dir) as? ModelError else {
            Issue.record("expected invalidConfiguration")
            return
        }
        #expect(path.hasSuffix("config.json") && reason == "not valid JSON")
    }

    @Test func wrongTypeInConfigNamesTheField() throws {
        let dir = try copyOfTinyModel()
        try dir.write("config.json", config { json in
            var text = json["text_config"] as! [String: Any]
            text["hidden_size"] = "wide"
            json["text_config"] = text
        })
        let message = try #require(loadError(dir)).localizedDescription
        #expect(message.contains("text_config.hidden_size"))
    }

    @Test func impossibleConfig() throws {
        let dir = try copyOfTinyModel()
        try dir.write("config.json", config { json in
            var vision = json["vision_config"] as! [String: Any]
            vision["num_attention_heads"] = 5  // 24 is not divisible by 5
            json["vision_config"] = vision
        })
        let message = try #require(loadError(dir)).localizedDescription
        #expect(message.contains("not divisible"))
    }

    @Test func shapesThatDisagreeWithTheConfigNameTheTensor() throws {
        let dir = try copyOfTinyModel()
        try dir.write("config.json", config { json in json["projection_dim"] = 13 })
        let error = try #require(loadError(dir) as? ModelError)
        guard case .shapeMismatch(_, let key, let expected, let actual) = error else {
            Issue.record("expected shapeMismatch, got \(error)")
            return
        }
        #expect(key == "text_projection.weight" && expected == [13, 8] && actual == [12, 8])
    }

    @Test func missingLayerIsNamed() throws {
        let dir = try copyOfTinyModel()
        try dir.write("config.json", config { json in
            var text = json["text_config"] as! [String: Any]
            text["num_hidden_layers"] = 3
            json["text_config"] = text
        })
        let error = try #require(loadError(dir) as? ModelError)
        #expect(error == .missingWeight(path: dir.url.appendingPathComponent("model.safetensors").path,
                                        key: "text_model.encoder.layers.2.layer_norm1.weight"))
    }

    @Test func unexpectedTensorsAreRejected() throws {
        let dir = try copyOfTinyModel()
        try dir.write("config.json", config { json in
            var vision = json["vision_config"] as! [String: Any]
            vision["num_hidden_layers"] = 1
            json["vision_config"] = vision
        })
        let error = try #require(loadError(dir) as? ModelError)
        guard case .unexpectedWeights(_, let keys) = error else {
            Issue.record("expected unexpectedWeights, got \(error)")
            return
        }
        #expect(keys.allSatisfy { $0.hasPrefix("vision_model.encoder.layers.1.") } && keys.count == 16)
    }

    @Test func truncatedWeightsFile() throws {
        let dir = try copyOfTinyModel()
        let weights = dir.url.appendingPathComponent("model.safetensors")
        let bytes = try Data(contentsOf: weights)
        try dir.write("model.safetensors", bytes.prefix(bytes.count / 2))
        let message = try #require(loadError(dir) as? WeightsError).localizedDescription
        #expect(message.contains("model.safetensors") && message.contains("outside"))
    }

    @Test func configDefaultsFollowTransformers() throws {
        let c = try JSONDecoder().decode(CLIPConfiguration.self, from: Data("{}".utf8))
        #expect(c.text.hiddenSize == 512 && c.text.eosTokenID == 49407 && c.text.activation == .quickGELU)
        #expect(c.vision.hiddenSize == 768 && c.vision.patchSize == 32 && c.projectionDimension == 512)
        let gelu = try JSONDecoder().decode(CLIPConfiguration.self, from: Data(#"{"text_config":{"hidden_act":"gelu"}}"#.utf8))
        #expect(gelu.text.activation == .gelu)
    }
}
