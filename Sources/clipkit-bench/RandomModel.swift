import CLIPKit
import Foundation

/// Writes a CLIP model folder in Hugging Face layout (`config.json` + `model.safetensors`)
/// whose weights are deterministic pseudo-random values, so clipkit and the Python peers can
/// load the very same model without any download.
///
/// Every tensor is filled from its own generator seeded by its name, so the values do not depend
/// on write order. Linear and embedding weights are uniform with standard deviation 0.02 (the
/// initialiser scale of CLIP), layer-norm scales are near 1, and `logit_scale` is ln 100 as in
/// the released checkpoints.
enum RandomModel {
    /// CLIP-like outlier channels: `count` hidden dimensions whose `layer_norm1` and
    /// `layer_norm2` weights are multiplied by `scale` in every encoder layer, so those
    /// dimensions of every layer-norm output are `scale` times larger than the rest (the
    /// "massive activations" of released CLIP ViTs, which break naive per-token int8).
    struct Outliers {
        var count = 0
        var scale: Float = 50

        /// The dimensions chosen for a width: spread out, deterministic.
        func dimensions(width: Int) -> [Int] {
            guard count > 0, width > 0 else { return [] }
            return (0..<min(count, width)).map { ($0 * 2_654_435_761 + 17) % width }
        }
    }

    /// The named presets the benchmark knows.
    static func configuration(preset: String) -> CLIPConfiguration? {
        switch preset {
        case "b32": return .vitBasePatch32
        case "l14": return .vitLargePatch14
        default: return nil
        }
    }

    /// Every tensor of a `CLIPModel` checkpoint with its shape, in the order written.
    static func tensorShapes(_ c: CLIPConfiguration) -> [(name: String, shape: [Int])] {
        var list: [(String, [Int])] = []
        func layers(_ prefix: String, width: Int, intermediate: Int, count: Int) {
            for i in 0..<count {
                let p = "\(prefix).encoder.layers.\(i)"
                for proj in ["q_proj", "k_proj", "v_proj", "out_proj"] {
                    list.append(("\(p).self_attn.\(proj).weight", [width, width]))
                    list.append(("\(p).self_attn.\(proj).bias", [width]))
                }
                for norm in ["layer_norm1", "layer_norm2"] {
                    list.append(("\(p).\(norm).weight", [width]))
                    list.append(("\(p).\(norm).bias", [width]))
                }
                list.append(("\(p).mlp.fc1.weight", [intermediate, width]))
                list.append(("\(p).mlp.fc1.bias", [intermediate]))
                list.append(("\(p).mlp.fc2.weight", [width, intermediate]))
                list.append(("\(p).mlp.fc2.bias", [width]))
            }
        }
        let t = c.text, v = c.vision
        list.append(("text_model.embeddings.token_embedding.weight", [t.vocabularySize, t.hiddenSize]))
        list.append(("text_model.embeddings.position_embedding.weight", [t.maxPositionEmbeddings, t.hiddenSize]))
        layers("text_model", width: t.hiddenSize, intermediate: t.intermediateSize, count: t.layerCount)
        list.append(("text_model.final_layer_norm.weight", [t.hiddenSize]))
        list.append(("text_model.final_layer_norm.bias", [t.hiddenSize]))
        list.append(("vision_model.embeddings.class_embedding", [v.hiddenSize]))
        list.append(("vision_model.embeddings.patch_embedding.weight", [v.hiddenSize, v.channelCount, v.patchSize, v.patchSize]))
        list.append(("vision_model.embeddings.position_embedding.weight", [v.tokenCount, v.hiddenSize]))
        list.append(("vision_model.pre_layrnorm.weight", [v.hiddenSize]))
        list.append(("vision_model.pre_layrnorm.bias", [v.hiddenSize]))
        layers("vision_model", width: v.hiddenSize, intermediate: v.intermediateSize, count: v.layerCount)
        list.append(("vision_model.post_layernorm.weight", [v.hiddenSize]))
        list.append(("vision_model.post_layernorm.bias", [v.hiddenSize]))
        list.append(("text_projection.weight", [c.projectionDimension, t.hiddenSize]))
        list.append(("visual_projection.weight", [c.projectionDimension, v.hiddenSize]))
        list.append(("logit_scale", []))
        return list
    }

    /// Writes `config.json`, `model.safetensors` and a standard CLIP `preprocessor_config.json`
    /// into `directory`, plus any tokenizer files found in `tokenizerSource`. Returns the bytes
    /// of weights written.
    @discardableResult
    static func write(_ configuration: CLIPConfiguration, to directory: URL, seed: UInt64 = 0,
                      tokenizerSource: URL? = nil, outliers: Outliers = Outliers()) throws -> Int {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        try configJSON(configuration).write(to: directory.appendingPathComponent("config.json"))
        try preprocessorJSON.write(to: directory.appendingPathComponent("preprocessor_config.json"),
                                   atomically: true, encoding: .utf8)
        if let source = tokenizerSource {
            for name in ["vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json",
                         "special_tokens_map.json"] {
                let from = source.appendingPathComponent(name)
                let to = directory.appendingPathComponent(name)
                guard fm.fileExists(atPath: from.path) else { continue }
                try? fm.removeItem(at: to)
                try fm.copyItem(at: from, to: to)
            }
        }
        return try writeWeights(configuration, to: directory.appendingPathComponent("model.safetensors"), seed: seed,
                                outliers: outliers)
    }

    /// `config.json` as transformers reads it: clipkit's fields plus `model_type`.
    static func configJSON(_ c: CLIPConfiguration) throws -> Data {
        let encoded = try JSONEncoder().encode(c)
        guard var object = try JSONSerialization.jsonObject(with: encoded) as? [String: Any] else {
            return encoded
        }
        object["model_type"] = "clip"
        object["architectures"] = ["CLIPModel"]
        if var text = object["text_config"] as? [String: Any] {
            text["model_type"] = "clip_text_model"
            text["bos_token_id"] = 49406
            text["pad_token_id"] = 1
            object["text_config"] = text
        }
        if var vision = object["vision_config"] as? [String: Any] {
            vision["model_type"] = "clip_vision_model"
            object["vision_config"] = vision
        }
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    /// The image processor of the released OpenAI checkpoints (resize 224 bicubic, crop 224).
    static let preprocessorJSON = """
        {
          "crop_size": {"height": 224, "width": 224},
          "do_center_crop": true,
          "do_convert_rgb": true,
          "do_normalize": true,
          "do_rescale": true,
          "do_resize": true,
          "image_mean": [0.48145466, 0.4578275, 0.40821073],
          "image_processor_type": "CLIPImageProcessor",
          "image_std": [0.26862954, 0.26130258, 0.27577711],
          "resample": 3,
          "rescale_factor": 0.00392156862745098,
          "size": {"shortest_edge": 224}
        }

        """

    /// Writes the safetensors file: an 8-byte header length, the JSON header padded with spaces
    /// to a multiple of 8 (so F32 data is aligned and mapped in place), then the data.
    static func writeWeights(_ c: CLIPConfiguration, to url: URL, seed: UInt64,
                             outliers: Outliers = Outliers()) throws -> Int {
        let tensors = tensorShapes(c)
        var header: [String] = []
        var offset = 0
        for (name, shape) in tensors {
            let bytes = shape.reduce(1, *) * 4
            header.append("\"\(name)\":{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        var json = Array(("{\"__metadata__\":{\"format\":\"pt\"}," + header.joined(separator: ",") + "}").utf8)
        while (8 + json.count) % 8 != 0 { json.append(UInt8(ascii: " ")) }

        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: url.path])
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var length = UInt64(json.count).littleEndian
        try handle.write(contentsOf: Data(bytes: &length, count: 8))
        try handle.write(contentsOf: Data(json))
        for (name, shape) in tensors {
            var values = randomValues(for: name, count: shape.reduce(1, *), seed: seed)
            if name.hasSuffix("layer_norm1.weight") || name.hasSuffix("layer_norm2.weight") {
                for d in outliers.dimensions(width: values.count) { values[d] *= outliers.scale }
            }
            try handle.write(contentsOf: values.withUnsafeBytes { Data($0) })
        }
        return offset
    }

    /// The values of one tensor, chosen by its role (see the type's comment).
    static func randomValues(for name: String, count: Int, seed: UInt64) -> [Float] {
        if name == "logit_scale" { return [Float(log(100.0))] }
        var state = seed ^ fnv1a(name)
        let isNormScale = (name.contains("norm") || name.contains("layrnorm")) && name.hasSuffix(".weight")
        let isBias = name.hasSuffix(".bias")
        // Uniform on [-a, a] has standard deviation a / √3.
        let (center, halfWidth): (Float, Float) =
            isNormScale ? (1, 0.1) : isBias ? (0, 0.02) : (0, 0.02 * Float(3).squareRoot())
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBufferPointer { out in
            for i in 0..<count {
                let unit = Float(splitMix64(&state) >> 40) * 0x1p-24  // [0, 1)
                out[i] = center + (2 * unit - 1) * halfWidth
            }
        }
        return values
    }

    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    static func splitMix64(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Deterministic token-id sequences shaped like prompt labels ("a photo of a …"): BOS, 3 to
    /// 8 ids, EOS. The same sequences are written to `bench-prompts.json` for the peers.
    static func promptTokenIDs(count: Int, seed: UInt64 = 1) -> [[Int]] {
        var state = seed
        return (0..<count).map { _ in
            let length = 3 + Int(splitMix64(&state) % 6)
            return [49406] + (0..<length).map { _ in 256 + Int(splitMix64(&state) % 49000) } + [49407]
        }
    }

    /// A deterministic preprocessed-looking pixel batch in [-1.8, 2.1]. [count, 3, size, size]
    static func pixels(count: Int, size: Int, seed: UInt64 = 2) -> Tensor {
        var state = seed
        let n = count * 3 * size * size
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n { values[i] = -1.8 + 3.9 * Float(splitMix64(&state) >> 40) * 0x1p-24 }
        return Tensor(shape: [count, 3, size, size], scalars: values)!
    }
}
