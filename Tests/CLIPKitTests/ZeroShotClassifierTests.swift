import Foundation
import Testing
@testable import CLIPKit

@Suite("Zero-shot classifier")
struct ZeroShotClassifierTests {
    static let pipeline: CLIPPipeline? = try? CLIPPipeline(directory: Fixtures.url("models/tiny-clip"))

    func pipeline() throws -> CLIPPipeline {
        try #require(Self.pipeline, "the tiny model folder must load")
    }

    /// A deterministic RGB test image.
    static func image(width: Int, height: Int, seed: Int) throws -> DecodedImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in pixels.indices { pixels[i] = UInt8((i * 37 + seed * 101 + (i / 3) % width * 5) % 256) }
        return try #require(DecodedImage(width: width, height: height, pixels: pixels, format: .png, sourceMode: "RGB"))
    }

    @Test("label and template checks", arguments: [
        ([], "{}", ClassifierError.noLabels),
        (["cat", ""], "{}", .emptyLabel(position: 2)),
        (["cat", "  "], "{}", .emptyLabel(position: 2)),
        (["cat", "dog", "cat"], "{}", .duplicateLabel("cat")),
        (["cat"], "a photo", .templateWithoutPlaceholder("a photo")),
    ])
    func validation(labels: [String], template: String, expected: ClassifierError) throws {
        #expect(throws: expected) { try ZeroShotClassifier.validate(labels: labels, template: template) }
        #expect(throws: expected) { try ZeroShotClassifier(pipeline: try pipeline(), labels: labels, template: template) }
    }

    @Test func promptsReplaceEveryPlaceholderAndResultsNameLabels() throws {
        let classifier = try ZeroShotClassifier(pipeline: try pipeline(), labels: ["cat", "dog"], template: "a photo of {} ({})")
        #expect(classifier.prompts == ["a photo of cat (cat)", "a photo of dog (dog)"])
        let result = try classifier.classify(Self.image(width: 30, height: 20, seed: 1))
        #expect(Set(result.scores.map(\.label)) == ["cat", "dog"])
    }

    @Test func sortingIsDescendingAndStableOnTies() {
        let c = Classification(scores: [.init(label: "a", score: 0.2), .init(label: "b", score: 0.4),
                                        .init(label: "c", score: 0.2), .init(label: "d", score: 0.2)])
        #expect(c.scores.map(\.label) == ["b", "a", "c", "d"])
        #expect(c.label == "b" && c.score == 0.4)
        #expect(c.top(2).map(\.label) == ["b", "a"])
        #expect(c.top(10).count == 4)
        #expect(c.score(of: "d") == 0.2 && c.score(of: "x") == nil)
    }

    /// The classifier's probabilities are exactly CLIP's zero-shot scores computed from the raw
    /// model outputs (tokenizer-independent: both sides use the pipeline's tokenizer).
    @Test func matchesZeroShotScoresOfTheModel() throws {
        let pipeline = try pipeline()
        let labels = ["a photo of a cat", "a photo of a dog", "a bird"]
        let classifier = try ZeroShotClassifier(pipeline: pipeline, labels: labels)
        let images = try [Self.image(width: 40, height: 30, seed: 1), Self.image(width: 17, height: 50, seed: 2)]
        let pixels = pipeline.pixels(for: images)
        let results = try classifier.classify(pixels: pixels)
        let texts = try pipeline.model.textEmbeddings(tokenIDs: labels.map { pipeline.tokenizer.encode($0) })
        let logits = ZeroShotScores.logits(images: try pipeline.model.imageEmbeddings(pixels: pixels), texts: texts,
                                           logitScale: pipeline.model.logitScale)
        let expected = ZeroShotScores.probabilities(logits: logits)
        #expect(results.count == 2)
        for (row, result) in results.enumerated() {
            #expect(abs(result.scores.map(\.score).reduce(0, +) - 1) < 1e-5)
            #expect(zip(result.scores, result.scores.dropFirst()).allSatisfy { $0.score >= $1.score })
            for (j, label) in labels.enumerated() {
                let score = try #require(result.score(of: label))
                #expect(abs(score - expected.scalars[row * labels.count + j]) <= Fixtures.runToRun)
            }
        }
        // One image through every entry point gives the same answer.
        let single = try classifier.classify(images[1])
        #expect(single.scores.map(\.label) == results[1].scores.map(\.label))
        #expect(zip(single.scores, results[1].scores).allSatisfy { abs($0.score - $1.score) <= Fixtures.runToRun })
    }

    @Test func embeddingsAreUnitLength() throws {
        let pipeline = try pipeline()
        let texts = try pipeline.textEmbeddings(["a cat", "a dog", ""])
        let images = try pipeline.imageEmbeddings([Self.image(width: 8, height: 8, seed: 3)])
        #expect(texts.shape == [3, pipeline.embeddingSize])
        #expect(images.shape == [1, pipeline.embeddingSize])
        for t in [texts, images] {
            let d = t.shape[1]
            for r in 0..<t.shape[0] {
                let norm = t.scalars[r * d..<(r + 1) * d].reduce(0) { $0 + $1 * $1 }
                #expect(abs(norm - 1) < 1e-5)
            }
        }
    }

    @Test func longLabelsAreReportedAsTruncated() throws {
        let long = Array(repeating: "cat", count: 100).joined(separator: " ")
        let classifier = try ZeroShotClassifier(pipeline: try pipeline(), labels: ["dog", long])
        #expect(classifier.truncatedLabels == [long])
    }

    @Test func preprocessorMustMatchTheModel() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("clipkit-mismatch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["config.json", "model.safetensors", "vocab.json", "merges.txt"] {
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(name),
                                                       withDestinationURL: Fixtures.url("models/tiny-clip").appendingPathComponent(name))
        }
        try #"{"size": {"shortest_edge": 32}, "crop_size": {"height": 32, "width": 32}}"#
            .write(to: folder.appendingPathComponent("preprocessor_config.json"), atomically: true, encoding: .utf8)
        #expect(throws: PipelineError.incompatiblePreprocessor(expected: [3, 224, 224], actual: [3, 32, 32])) {
            try CLIPPipeline(directory: folder)
        }
    }
}
