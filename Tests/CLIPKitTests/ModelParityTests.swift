import Foundation
import Testing
@testable import CLIPKit

/// Reference outputs written by scripts/fixtures/model.py (transformers 5.23, float32 CPU).
struct ModelGolden: Decodable {
    let model: String
    let texts: [String]
    let token_ids: [[Int]]
    let text_features: [[Float]]
    let image_count: Int
    let image_size: Int
    let image_features: [[Float]]
    let logit_scale: Float
    let logits_per_image: [[Float]]
    let probabilities: [[Float]]

    static func load(_ name: String) throws -> ModelGolden {
        let data = try Data(contentsOf: Fixtures.url("golden/model/\(name).json"))
        return try JSONDecoder().decode(ModelGolden.self, from: data)
    }

    /// The pixel test pattern of model.py's `pixel_value`, reproduced bit for bit.
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

/// Largest absolute difference between a tensor and reference rows.
func maxAbsDifference(_ tensor: Tensor, _ reference: [[Float]]) -> Float {
    let flat = reference.flatMap { $0 }
    guard flat.count == tensor.count else { return .infinity }
    return zip(tensor.scalars, flat).map { abs($0 - $1) }.max() ?? 0
}

@Suite struct ModelParityTests {
    /// Embeddings and probabilities agree with transformers within 1e-5 (absolute); logits,
    /// which are cosines times exp(logit_scale) = 100, within 1e-3.
    @Test(arguments: ["tiny-clip", "tiny-clip-f16", "tiny-clip-gelu-bf16"])
    func matchesTransformers(modelName: String) throws {
        let golden = try ModelGolden.load(modelName)
        let model = try CLIPModel(directory: Fixtures.url("models/\(modelName)"))
        #expect(abs(model.logitScale - golden.logit_scale) < 1e-6)

        let text = try model.textEmbeddings(tokenIDs: golden.token_ids)
        #expect(text.shape == [golden.texts.count, model.embeddingSize])
        let textError = maxAbsDifference(text, golden.text_features)
        #expect(textError < 1e-5, "text features differ by \(textError)")

        let images = try model.imageEmbeddings(pixels: golden.pixels)
        let imageError = maxAbsDifference(images, golden.image_features)
        #expect(imageError < 1e-5, "image features differ by \(imageError)")

        let logits = ZeroShotScores.logits(images: images, texts: text, logitScale: model.logitScale)
        let logitError = maxAbsDifference(logits, golden.logits_per_image)
        #expect(logitError < 1e-3, "logits differ by \(logitError)")

        let probabilities = ZeroShotScores.probabilities(logits: logits)
        let probabilityError = maxAbsDifference(probabilities, golden.probabilities)
        #expect(probabilityError < 1e-5, "probabilities differ by \(probabilityError)")
    }

    /// Text to embedding through clipkit's own tokenizer: the ids are transformers' ids, so the
    /// features match as above.
    @Test func tokenizerFeedsTheModelTheReferenceIDs() throws {
        let golden = try ModelGolden.load("tiny-clip")
        let tokenizer = try CLIPTokenizer(directory: Fixtures.url("models/tiny-clip"))
        let ids = golden.texts.map(tokenizer.encode)
        #expect(ids == golden.token_ids)
        let model = try CLIPModel(directory: Fixtures.url("models/tiny-clip"))
        let text = try model.textEmbeddings(tokenIDs: ids)
        #expect(maxAbsDifference(text, golden.text_features) < 1e-5)
    }

    /// Padding-free batches give each text the same embedding as running it alone.
    @Test func batchCompositionDoesNotChangeEmbeddings() throws {
        let golden = try ModelGolden.load("tiny-clip")
        let model = try CLIPModel(directory: Fixtures.url("models/tiny-clip"))
        let batch = try model.textEmbeddings(tokenIDs: golden.token_ids)
        let width = model.embeddingSize
        for (n, ids) in golden.token_ids.enumerated() {
            let alone = try model.textEmbeddings(tokenIDs: [ids])
            let row = Array(batch.scalars[(n * width)..<((n + 1) * width)])
            #expect(maxAbsDifference(alone, [row]) <= Fixtures.runToRun)
        }
    }

    /// A text's rows can sit anywhere in the products of a batch: after 0, 2, 3, …, 33 rows of
    /// other texts (every position within the BLAS kernel's row tiles), its embedding stays within
    /// the run-to-run budget of running it alone, whichever kernel this machine's BLAS picks.
    @Test func everyRowOffsetInTheProductsStaysWithinTheBudget() throws {
        let golden = try ModelGolden.load("tiny-clip")
        let model = try CLIPModel(directory: Fixtures.url("models/tiny-clip"))
        let width = model.embeddingSize
        let target = golden.token_ids[1]
        let begin = try #require(target.first), end = try #require(target.last)
        let alone = try model.textEmbeddings(tokenIDs: [target])
        var worst: Float = 0
        for offset in [0] + Array(2...33) {
            // Fillers of two and three tokens that add up to `offset` rows.
            var fillers: [[Int]] = offset % 2 == 1 ? [[begin, target[1], end]] : []
            fillers += Array(repeating: [begin, end], count: (offset - 3 * fillers.count) / 2)
            let batch = try model.textEmbeddings(tokenIDs: fillers + [target])
            let row = Array(batch.scalars[(fillers.count * width)...])
            worst = max(worst, maxAbsDifference(alone, [row]))
        }
        #expect(worst <= Fixtures.runToRun, "worst |Δ| \(worst)")
        // Images: the target after 0…4 other images.
        let pixels = golden.pixels
        let perImage = pixels.count / golden.image_count
        let targetPixels = Array(pixels.scalars[0..<perImage])
        let imageAlone = try model.imageEmbeddings(pixels: try #require(Tensor(shape: [1] + pixels.shape.dropFirst(), scalars: targetPixels)))
        for others in 0...4 {
            let filler = (0..<(others * perImage)).map { Float(($0 * 7) % 13) / 6.5 - 1 }
            let batch = try #require(Tensor(shape: [others + 1] + pixels.shape.dropFirst(), scalars: filler + targetPixels))
            let embeddings = try model.imageEmbeddings(pixels: batch)
            let row = Array(embeddings.scalars[(others * width)...])
            #expect(maxAbsDifference(imageAlone, [row]) <= Fixtures.runToRun, "after \(others) images")
        }
    }

    @Test func emptyBatchesGiveEmptyResults() throws {
        let model = try CLIPModel(directory: Fixtures.url("models/tiny-clip"))
        #expect(try model.textEmbeddings(tokenIDs: []).shape == [0, model.embeddingSize])
        #expect(try model.imageEmbeddings(pixels: Tensor(zeros: [0, 3, 224, 224])).shape == [0, model.embeddingSize])
    }

    @Test func rejectsInputsTheTowersCannotRun() throws {
        let model = try CLIPModel(directory: Fixtures.url("models/tiny-clip"))
        #expect(throws: ModelError.self) { try model.textEmbeddings(tokenIDs: [[49406, 60000, 49407]]) }
        #expect(throws: ModelError.self) { try model.textEmbeddings(tokenIDs: [[]]) }
        #expect(throws: ModelError.self) { try model.textEmbeddings(tokenIDs: [Array(repeating: 1, count: 78)]) }
        #expect(throws: ModelError.self) { try model.imageEmbeddings(pixels: Tensor(zeros: [1, 3, 32, 32])) }
    }

    @Test func presetsDescribeTheReleasedModels() {
        #expect(CLIPConfiguration.vitBasePatch32.vision.tokenCount == 50)
        #expect(CLIPConfiguration.vitLargePatch14.vision.tokenCount == 257)
        #expect(CLIPConfiguration.vitLargePatch14.projectionDimension == 768)
        #expect(CLIPConfiguration.vitBasePatch32.text.eosTokenID == 2)
    }
}
