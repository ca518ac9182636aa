import Foundation
import Testing
@testable import CLIPKit

/// transformers' zero-shot-image-classification pipeline on tiny-siglip (SiglipTokenizer,
/// SiglipImageProcessorPil), written by scripts/fixtures/siglip.py.
struct SiglipPipelineGolden: Decodable {
    struct Result: Decodable {
        let image: String
        let scores: [String: Float]
        let image_embedding: [Float]
        let pixel_levels: [Int]?
    }
    let labels: [String]
    let template: String
    let prompts: [String]
    let token_ids: [[Int]]
    let attention_mask: [[Int]]
    let text_embeddings: [[Float]]
    let results: [Result]
    struct ResampleCheck: Decodable {
        let image: String
        let width: Int
        let height: Int
        let levels: [Int]
    }
    let resample_checks: [ResampleCheck]?

    static func load(_ name: String = "pipeline") throws -> SiglipPipelineGolden {
        try JSONDecoder().decode(SiglipPipelineGolden.self, from: Data(contentsOf: Fixtures.url("golden/siglip/\(name).json")))
    }
}

@Suite struct SiglipPipelineTests {
    let folder = Fixtures.url("models/tiny-siglip")

    /// The family decides tokenizer, preprocessing, padding, template and score.
    @Test func theFamilyChoosesEveryPart() throws {
        let pipeline = try CLIPPipeline(directory: folder)
        #expect(pipeline.family == .siglip)
        #expect(pipeline.tokenizer is SiglipTokenizer)
        #expect(pipeline.textPadding == .toLength(64, masked: true))
        #expect(pipeline.defaultScoreKind == .sigmoid)
        let config = pipeline.preprocessor.config
        #expect(!config.doCenterCrop && config.size == .init(height: 96, width: 96))
        #expect(config.imageMean == [0.5, 0.5, 0.5] && config.imageStd == [0.5, 0.5, 0.5])
        let clip = try CLIPPipeline(directory: Fixtures.url("models/tiny-clip"))
        #expect(clip.family == .clip && clip.textPadding == .none && clip.defaultScoreKind == .softmax)
    }

    /// Prompts become the pipeline's ids: padded to 64 with `</s>` on the right.
    @Test func promptsArePaddedAsThePipelinePadsThem() throws {
        let golden = try SiglipPipelineGolden.load()
        let pipeline = try CLIPPipeline(directory: folder)
        for (prompt, expected) in zip(golden.prompts, golden.token_ids) {
            let ids = pipeline.textPadding.apply(to: pipeline.tokenize(prompt).ids, paddingID: pipeline.tokenizer.paddingID,
                                                 side: pipeline.tokenizer.paddingSide)
            #expect(ids == expected, "\(prompt)")
        }
        #expect(golden.attention_mask.allSatisfy { $0.contains(0) })  // the mask the pipeline passes
    }

    /// Text embeddings with the pipeline's attention mask: within 1e-5.
    @Test func textEmbeddingsMatchThePipeline() throws {
        let golden = try SiglipPipelineGolden.load()
        let pipeline = try CLIPPipeline(directory: folder)
        let text = try pipeline.textEmbeddings(golden.prompts)
        let error = maxAbsDifference(text, golden.text_embeddings)
        #expect(error < 1e-5, "text embeddings differ by \(error)")
        // Masked padding is not the same as attending to the padding.
        let unmasked = try CLIPPipeline(model: pipeline.model, tokenizer: pipeline.tokenizer,
                                        preprocessor: pipeline.preprocessor, textPadding: .toLength(64, masked: false))
        #expect(maxAbsDifference(try unmasked.textEmbeddings(golden.prompts), golden.text_embeddings) > 1e-3)
    }

    /// Masked padding on the left (Siglip2Tokenizer's side) equals the full padded run with a
    /// mask: the text's rows at the last positions.
    @Test func leftPaddingKeepsTheTextAtTheEnd() throws {
        let model = try SiglipModel(directory: folder)
        let ids = [[5, 17, 33, 1], [9, 1]]
        let left = try model.textEmbeddings(tokenIDs: ids, padding: .toLength(64, masked: true), paddingID: 1, side: .left)
        let right = try model.textEmbeddings(tokenIDs: ids, padding: .toLength(64, masked: true), paddingID: 1, side: .right)
        #expect(left.shape == [2, model.embeddingSize])
        #expect(maxAbsDifference(left, [Array(right.scalars[0..<32]), Array(right.scalars[32..<64])]) > 1e-3)
        // A text already 64 long needs no padding either way.
        let full = [Array(repeating: 7, count: 63) + [1]]
        let a = try model.textEmbeddings(tokenIDs: full, padding: .toLength(64, masked: true), paddingID: 1, side: .left)
        let b = try model.textEmbeddings(tokenIDs: full)
        #expect(maxAbsDifference(a, [b.scalars]) <= Fixtures.runToRun)
        #expect(throws: ModelError.self) {
            try model.textEmbeddings(tokenIDs: [Array(repeating: 7, count: 65)], padding: .toLength(64, masked: true),
                                     paddingID: 1, side: .right)
        }
    }

    /// Resize to 96 × 96 without crop, mean = std = 0.5: the PIL processor's pixels exactly.
    @Test func preprocessingIsThePILProcessors() throws {
        let golden = try SiglipPipelineGolden.load()
        let pipeline = try CLIPPipeline(directory: folder)
        let result = try #require(golden.results.first)
        let levels = try #require(result.pixel_levels)
        let image = try ImageDecoder.decode(contentsOf: Fixtures.url("cli/\(result.image)"))
        let pixels = pipeline.preprocessor(image)
        #expect(pixels.shape == [3, 96, 96])
        let error = zip(pixels.scalars, levels).map { abs($0 - Float((Double($1) / 255 - 0.5) / 0.5)) }.max() ?? .infinity
        #expect(pixels.count == levels.count && error < 1e-6, "pixels differ by \(error)")
    }

    /// `ZeroShotClassifier` with the family's defaults (template "This is a photo of {}.",
    /// sigmoid scores) gives the pipeline's probabilities within 1e-5, and its image embeddings.
    @Test func classifierGivesThePipelinesProbabilities() throws {
        let golden = try SiglipPipelineGolden.load()
        let pipeline = try CLIPPipeline(directory: folder)
        let classifier = try ZeroShotClassifier(pipeline: pipeline, labels: golden.labels)
        #expect(classifier.template == golden.template)
        for result in golden.results {
            let url = Fixtures.url("cli/\(result.image)")
            let classification = try classifier.classify(contentsOf: url)
            for (label, expected) in result.scores {
                let score = try #require(classification.score(of: label))
                #expect(abs(score - expected) < 1e-5, "\(result.image) \(label): \(score) vs \(expected)")
            }
            #expect(classification.scores.map(\.label) == result.scores.sorted { $0.value > $1.value }.map(\.key))
            let embedding = try pipeline.imageEmbedding(contentsOf: url)
            #expect(maxAbsDifference(Tensor(shape: [1, embedding.count], scalars: embedding)!, [result.image_embedding]) < 1e-5)
        }
    }

    /// SigLIP 2 fixed resolution with its Gemma-like tokenizer.json (Siglip2Tokenizer pads on the
    /// left, masked): ids, text embeddings and the pipeline's probabilities within 1e-5.
    @Test func siglip2GivesThePipelinesProbabilities() throws {
        let golden = try SiglipPipelineGolden.load("pipeline-siglip2")
        let pipeline = try CLIPPipeline(directory: Fixtures.url("models/tiny-siglip2"))
        #expect(pipeline.family == .siglip && pipeline.tokenizer.paddingSide == .left)
        for (prompt, expected) in zip(golden.prompts, golden.token_ids) {
            let ids = pipeline.textPadding.apply(to: pipeline.tokenize(prompt).ids, paddingID: pipeline.tokenizer.paddingID,
                                                 side: pipeline.tokenizer.paddingSide)
            #expect(ids == expected, "\(prompt)")
        }
        let text = try pipeline.textEmbeddings(golden.prompts)
        #expect(maxAbsDifference(text, golden.text_embeddings) < 1e-5)
        let classifier = try ZeroShotClassifier(pipeline: pipeline, labels: golden.labels)
        for result in golden.results {
            // Square resize of every shape (b.png 24×48 → 32×32 widens and shortens: Pillow 13
            // runs the vertical pass first), exact to the PIL processor's 8-bit levels.
            let levels = try #require(result.pixel_levels)
            let pixels = pipeline.preprocessor(try ImageDecoder.decode(contentsOf: Fixtures.url("cli/\(result.image)")))
            let wrong = zip(pixels.scalars, levels).filter { abs($0 - Float((Double($1) / 255 - 0.5) / 0.5)) > 1e-6 }.count
            #expect(pixels.count == levels.count && wrong == 0, "\(result.image): \(wrong) pixels differ")
            let classification = try classifier.classify(contentsOf: Fixtures.url("cli/\(result.image)"))
            for (label, expected) in result.scores {
                let score = try #require(classification.score(of: label))
                #expect(abs(score - expected) < 1e-5, "\(result.image) \(label): \(score) vs \(expected)")
            }
        }
    }

    /// Square resizes that shrink both sides by different amounts: PIL's bicubic output exactly
    /// (Pillow 13 runs the vertical pass first when it removes more than twice as many rows as
    /// columns go; 24×40 → 16×16 and 20×16 do, 16×30 does not).
    @Test func resamplingPassOrderIsPillows() throws {
        let checks = try #require(try SiglipPipelineGolden.load("pipeline-siglip2").resample_checks)
        #expect(checks.count == 3)
        for check in checks {
            var config = PreprocessorConfig.siglip
            config.size = .init(height: check.height, width: check.width)
            config.doRescale = false
            config.doNormalize = false
            let pixels = ImagePreprocessor(config: config)(try ImageDecoder.decode(contentsOf: Fixtures.url(check.image)))
            #expect(pixels.scalars.map { Int($0) } == check.levels, "\(check.width)×\(check.height)")
        }
    }
}
