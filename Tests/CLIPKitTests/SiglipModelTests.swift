import Foundation
import Testing
@testable import CLIPKit

/// Reference outputs written by scripts/fixtures/siglip.py (transformers' SiglipModel, float32 CPU).
struct SiglipModelGolden: Decodable {
    let model: String
    let token_ids: [[Int]]
    let text_features: [[Float]]
    let image_count: Int
    let image_size: Int
    let image_features: [[Float]]
    let logit_scale: Float
    let logit_bias: Float
    let logits_per_image: [[Float]]
    let probabilities: [[Float]]

    static func load(_ name: String) throws -> SiglipModelGolden {
        try JSONDecoder().decode(SiglipModelGolden.self, from: Data(contentsOf: Fixtures.url("golden/model/\(name).json")))
    }

    /// The pixel pattern of model.py's `pixel_batch` (``ModelGolden/pixels``).
    var pixels: Tensor {
        let size = image_size
        var values = [Float](repeating: 0, count: image_count * 3 * size * size)
        var i = 0
        for image in 0..<image_count {
            for c in 0..<3 {
                for y in 0..<size {
                    for x in 0..<size {
                        let k = (c * 7919 + y * 104729 + x * 1299709 + image * 15485863) % 1009
                        values[i] = Float(Double(k) / 504.5 - 1.0)
                        i += 1
                    }
                }
            }
        }
        return Tensor(shape: [image_count, 3, size, size], scalars: values)!
    }
}

@Suite struct SiglipModelTests {
    /// Embeddings and sigmoid probabilities agree with transformers within 1e-5 (absolute);
    /// logits (cosines times exp(logit_scale) = 10, plus the bias) within 1e-4 — the tolerances
    /// of the CLIP parity tests, scaled by the logit scale.
    @Test(arguments: ["tiny-siglip", "tiny-siglip-bf16"])
    func matchesTransformers(modelName: String) throws {
        let golden = try SiglipModelGolden.load(modelName)
        let model = try SiglipModel(directory: Fixtures.url("models/\(modelName)"))
        #expect(model.family == .siglip)
        #expect(abs(model.logitScale - golden.logit_scale) < 1e-6)
        #expect(abs(model.logitBias - golden.logit_bias) < 1e-6)

        let text = try model.textEmbeddings(tokenIDs: golden.token_ids)
        #expect(text.shape == [golden.token_ids.count, model.embeddingSize])
        let textError = maxAbsDifference(text, golden.text_features)
        #expect(textError < 1e-5, "text features differ by \(textError)")

        let images = try model.imageEmbeddings(pixels: golden.pixels)
        let imageError = maxAbsDifference(images, golden.image_features)
        #expect(imageError < 1e-5, "image features differ by \(imageError)")

        let logits = ZeroShotScores.logits(images: images, texts: text, logitScale: model.logitScale,
                                           logitBias: model.logitBias)
        let logitError = maxAbsDifference(logits, golden.logits_per_image)
        #expect(logitError < 1e-4, "logits differ by \(logitError)")

        let probabilities = ZeroShotScores.scores(images: images, texts: text, logitScale: model.logitScale,
                                                  logitBias: model.logitBias, kind: .sigmoid)
        let probabilityError = maxAbsDifference(probabilities, golden.probabilities)
        #expect(probabilityError < 1e-5, "probabilities differ by \(probabilityError)")
    }

    /// `gelu_pytorch_tanh` against torch 2.15's `gelu(x, approximate="tanh")` (float32), with a bias.
    @Test func tanhGELUIsPyTorchs() {
        let inputs: [Float] = [-3.0, -0.5, 0.0, 0.1, 1.0, 2.5]
        let expected: [Float] = [-0.0036374330520629883, -0.1542859971523285, 0.0, 0.053982753306627274,
                                 0.8411920070648193, 2.4849157333374023]
        var values = inputs.map { $0 - 0.25 }
        let bias = [Float](repeating: 0.25, count: inputs.count)
        values.withUnsafeMutableBufferPointer { x in
            bias.withUnsafeBufferPointer { Kernels.activate(x.baseAddress!, rows: 1, columns: inputs.count, bias: $0.baseAddress!, .geluTanh) }
        }
        for (value, reference) in zip(values, expected) { #expect(abs(value - reference) <= 1e-6) }
    }

    /// The family's loader builds the same model from the folder alone.
    @Test func familyIsReadFromTheConfiguration() throws {
        let folder = Fixtures.url("models/tiny-siglip")
        #expect(try ModelFamily.detect(directory: folder) == .siglip)
        #expect(try ModelFamily.detect(directory: Fixtures.url("models/tiny-clip")) == .clip)
        let model = try ModelFamily.loadModel(directory: folder)
        #expect(model is SiglipModel)
        #expect(model.visionInput == VisionInputShape(channelCount: 3, imageSize: 96, patchSize: 16))
        #expect(model.textContextLength == 64)
        let golden = try SiglipModelGolden.load("tiny-siglip")
        #expect(maxAbsDifference(try model.imageEmbeddings(pixels: golden.pixels), golden.image_features) < 1e-5)
    }

    /// NaFlex checkpoints and other families fail with one error naming them.
    @Test func otherFamiliesAreNamed() throws {
        func failure(_ type: String?, _ architectures: [String]) -> ModelError? {
            do {
                _ = try ModelFamily.detect(modelType: type, architectures: architectures)
                return nil
            } catch {
                return error as? ModelError
            }
        }
        let naflex = try #require(failure("siglip2", ["Siglip2Model"]))
        #expect(naflex.localizedDescription.contains("Siglip2Model"))
        #expect(naflex.localizedDescription.contains("NaFlex"))
        let align = try #require(failure("align", ["AlignModel"]))
        #expect(align.localizedDescription.contains("'align'"))
        #expect(failure(nil, ["BlipForImageTextRetrieval"]) != nil)
        #expect(failure(nil, []) == nil)
        #expect(failure("clip", ["CLIPModel"]) == nil)
        #expect(failure(nil, ["SiglipModel"]) == nil)
    }

    /// Every text runs as given: padding on either side changes the pooled (last) position,
    /// so the tower must not drop it; a text alone equals the same text in a batch.
    @Test func batchCompositionDoesNotChangeEmbeddings() throws {
        let golden = try SiglipModelGolden.load("tiny-siglip")
        let model = try SiglipModel(directory: Fixtures.url("models/tiny-siglip"))
        let batch = try model.textEmbeddings(tokenIDs: golden.token_ids)
        let width = model.embeddingSize
        for (n, ids) in golden.token_ids.enumerated() {
            let alone = try model.textEmbeddings(tokenIDs: [ids])
            #expect(maxAbsDifference(alone, [Array(batch.scalars[(n * width)..<((n + 1) * width)])]) <= Fixtures.runToRun)
        }
    }

    @Test func rejectsInputsTheTowersCannotRun() throws {
        let model = try SiglipModel(directory: Fixtures.url("models/tiny-siglip"))
        #expect(throws: ModelError.self) { try model.textEmbeddings(tokenIDs: [[5, 1000, 1]]) }
        #expect(throws: ModelError.self) { try model.textEmbeddings(tokenIDs: [[]]) }
        #expect(throws: ModelError.self) { try model.textEmbeddings(tokenIDs: [Array(repeating: 1, count: 65)]) }
        #expect(throws: ModelError.self) { try model.imageEmbeddings(pixels: Tensor(zeros: [1, 3, 224, 224])) }
        #expect(try model.imageEmbeddings(pixels: Tensor(zeros: [0, 3, 96, 96])).shape == [0, 32])
        #expect(try model.textEmbeddings(tokenIDs: []).shape == [0, 32])
    }

    /// A SigLIP folder is not a CLIP folder: loading it as CLIP fails on its weights' names.
    @Test func strictLoadingNamesTheFirstMissingTensor() throws {
        #expect(throws: ModelError.self) { try CLIPModel(directory: Fixtures.url("models/tiny-siglip")) }
        #expect(throws: ModelError.self) { try SiglipModel(directory: Fixtures.url("models/tiny-clip")) }
    }

    @Test func presetsDescribeTheReleasedModels() throws {
        try SiglipConfiguration.basePatch16_224.validate()
        try SiglipConfiguration.so400mPatch14_384.validate()
        #expect(SiglipConfiguration.so400mPatch14_384.vision.patchesPerSide == 27)
        #expect(SiglipConfiguration.siglip2BasePatch16_224.text.vocabularySize == 256_000)
        #expect(SiglipConfiguration.basePatch16_224.text.towerSettings.causal == false)
    }

    /// int8 and bf16 through the same Linear precision machinery, with CLIP's accuracy gates
    /// (PrecisionModelTests): min cosine over every embedding bf16 ≥ 0.9995, int8 ≥ 0.995; the
    /// sigmoid probabilities within 0.01 (bf16) and 0.02 (int8) of transformers' (the sigmoid's
    /// slope is at most 1/4 and the logit scale 10: a cosine error of 0.0004 in the 24-wide
    /// fixture towers moves a probability by up to 0.01; measured on Zen 5, every kernel:
    /// bf16 ≤ 0.0045, int8 ≤ 0.0128).
    @Test(arguments: ["tiny-siglip", "tiny-siglip-bf16"], [Precision.bf16, .int8])
    func reducedPrecisionStaysCloseToTheReference(modelName: String, precision: Precision) throws {
        let golden = try SiglipModelGolden.load(modelName)
        let model = try SiglipModel(directory: Fixtures.url("models/\(modelName)"), precision: precision)
        #expect(model.precision == precision)
        let threshold = precision == .bf16 ? 0.9995 : 0.995
        let text = try model.textEmbeddings(tokenIDs: golden.token_ids)
        let images = try model.imageEmbeddings(pixels: golden.pixels)
        let textCosine = minimumCosine(text, golden.text_features)
        let imageCosine = minimumCosine(images, golden.image_features)
        print("\(modelName) \(precision.kernelDescription): min cosine text \(textCosine), image \(imageCosine)")
        #expect(textCosine >= threshold, "text cosine \(textCosine)")
        #expect(imageCosine >= threshold, "image cosine \(imageCosine)")
        let probabilities = ZeroShotScores.scores(images: images, texts: text, logitScale: model.logitScale,
                                                  logitBias: model.logitBias, kind: .sigmoid)
        let error = maxAbsDifference(probabilities, golden.probabilities)
        print("\(modelName) \(precision.kernelDescription): sigmoid probabilities max |Δ| \(error)")
        #expect(error < (precision == .bf16 ? 0.01 : 0.02), "probabilities differ by \(error)")
    }

    /// `check-precision`'s library check runs on SigLIP: one entry per vision layer.
    @Test func precisionCheckCoversTheVisionLayers() throws {
        let golden = try SiglipModelGolden.load("tiny-siglip")
        let reference = try SiglipModel(directory: Fixtures.url("models/tiny-siglip"))
        let candidate = try ModelFamily.siglip.loadModel(directory: Fixtures.url("models/tiny-siglip"), precision: .int8)
        let report = try PrecisionCheck.compare(candidate, with: reference, pixels: golden.pixels,
                                                labelTokenIDs: golden.token_ids)
        #expect(report.layers.count == reference.configuration.vision.layerCount)
        #expect(report.imageEmbeddings.minimum > 0.995)
        #expect(report.textEmbeddings.minimum > 0.995)
        let clip = try CLIPModel(directory: Fixtures.url("models/tiny-clip"))
        #expect(throws: ModelError.self) {
            try PrecisionCheck.compare(clip, with: reference, pixels: golden.pixels, labelTokenIDs: golden.token_ids)
        }
    }

    /// Cached text embeddings of a SigLIP model are keyed by its family as well as its weights.
    @Test func cacheIdentityNamesTheFamily() throws {
        let siglip = try SiglipModel(directory: Fixtures.url("models/tiny-siglip"))
        #expect(ModelIdentity(model: siglip).variant == "family siglip")
        let clip = try CLIPModel(directory: Fixtures.url("models/tiny-clip"))
        #expect(ModelIdentity(model: clip).variant == "")
    }
}

/// The Hub selection fetches what any family's folder needs.
@Suite struct FamilyHubSelectionTests {
    @Test func siglipRepositoriesBringTheirSentencePieceModel() throws {
        // google/siglip-base-patch16-224's files.
        let siglip: Set = ["config.json", "model.safetensors", "preprocessor_config.json", "special_tokens_map.json",
                           "spiece.model", "tokenizer_config.json", "README.md", ".gitattributes"]
        #expect(try HubFileSelection.zeroShotModel.files(in: siglip, repo: "google/siglip-base-patch16-224")
                == ["config.json", "model.safetensors", "preprocessor_config.json", "spiece.model",
                    "tokenizer_config.json", "special_tokens_map.json"])
        // google/siglip2-base-patch16-224: Gemma's tokenizer.json (and its SentencePiece model).
        let siglip2: Set = ["config.json", "model.safetensors", "preprocessor_config.json", "special_tokens_map.json",
                            "tokenizer.json", "tokenizer.model", "tokenizer_config.json"]
        #expect(try HubFileSelection.zeroShotModel.files(in: siglip2, repo: "google/siglip2-base-patch16-224")
                == ["config.json", "model.safetensors", "preprocessor_config.json", "tokenizer.json",
                    "tokenizer_config.json", "special_tokens_map.json"])
        let clip: Set = ["config.json", "model.safetensors", "preprocessor_config.json", "vocab.json", "merges.txt",
                         "tokenizer.json"]
        #expect(try HubFileSelection.zeroShotModel.files(in: clip, repo: "r")
                == ["config.json", "model.safetensors", "preprocessor_config.json", "vocab.json", "merges.txt",
                    "tokenizer.json"])
    }

    @Test func aMissingTokenizerIsNamed() throws {
        let base: Set = ["config.json", "model.safetensors", "preprocessor_config.json"]
        #expect(throws: HubError.entryNotFound(repo: "r", file: "vocab.json and merges.txt, or spiece.model, or tokenizer.json")) {
            try HubFileSelection.zeroShotModel.files(in: base, repo: "r")
        }
        #expect(throws: HubError.entryNotFound(repo: "r", file: "merges.txt")) {
            try HubFileSelection.zeroShotModel.files(in: base.union(["vocab.json"]), repo: "r")
        }
        #expect(HubFileSelection.zeroShotModel.isSatisfied { base.union(["spiece.model"]).contains($0) })
        #expect(!HubFileSelection.zeroShotModel.isSatisfied { base.union(["vocab.json"]).contains($0) })
    }
}
