import Foundation
import Testing
@testable import CLIPKit

/// Every command on the tiny SigLIP fixture (Tests/Fixtures/models/tiny-siglip), against
/// transformers' zero-shot pipeline (golden/siglip/pipeline.json) or the library.
@Suite("clipkit with a SigLIP model", .serialized)
struct SiglipCommandTests {
    static var model: String { Fixtures.url("models/tiny-siglip").path }
    static let images = ["images/a.png", "images/b.png", "images/c.png", "jpeg/photo.jpg"]

    /// `classify` with the family's defaults (template "This is a photo of {}.", sigmoid per
    /// label) gives the pipeline's probabilities within 1e-5, in every record.
    @Test func classifyGivesThePipelinesProbabilities() throws {
        let golden = try SiglipPipelineGolden.load()
        let out = try CLIRunner.run(["classify", "--model", Self.model, "--no-cache", "--format", "jsonl"]
                                    + golden.labels.flatMap { ["--label", $0] } + Self.images)
        #expect(out.status == 0, "\(out.stderr)")
        let records = try CLIRunner.jsonLines(out.stdout)
        #expect(records.count == golden.results.count)
        for (record, expected) in zip(records, golden.results) {
            #expect(record["path"] as? String == expected.image)
            let scores = PromptOptionsCommandTests.scores(record)
            #expect(scores.count == expected.scores.count)
            for (label, probability) in expected.scores {
                #expect(abs((scores[label] ?? .infinity) - Double(probability)) < 1e-5, "\(expected.image) \(label)")
            }
            #expect(record["label"] as? String == expected.scores.max { $0.value < $1.value }?.key)
        }
    }

    /// Every --scores kind works for SigLIP; softmax sums to 1, logit includes the bias.
    @Test func everyScoreKind() throws {
        let golden = try SiglipPipelineGolden.load()
        func scores(_ kind: String) throws -> [String: Double] {
            let out = try CLIRunner.run(["classify", "--model", Self.model, "--no-cache", "--format", "jsonl", "--scores", kind]
                                        + golden.labels.flatMap { ["--label", $0] } + ["images/a.png"])
            #expect(out.status == 0, "\(out.stderr)")
            return PromptOptionsCommandTests.scores(try #require(try CLIRunner.jsonLines(out.stdout).first))
        }
        let softmax = try scores("softmax"), sigmoid = try scores("sigmoid")
        let logit = try scores("logit"), cosine = try scores("cosine")
        #expect(abs(softmax.values.reduce(0, +) - 1) < 1e-5)
        let expected = try #require(golden.results.first).scores
        for (label, p) in expected {
            #expect(abs((sigmoid[label] ?? 0) - Double(p)) < 1e-5)
            // sigmoid(logit) is the probability; logit = 10 · cosine − 2.5 (the fixture's scale and bias).
            let l = try #require(logit[label]), c = try #require(cosine[label])
            #expect(abs(1 / (1 + exp(-l)) - Double(p)) < 1e-5)
            #expect(abs(l - (10 * c - 2.5)) < 1e-4)
        }
    }

    /// Multi-label selection on independent sigmoid scores.
    @Test func multiLabelOnSigmoidScores() throws {
        let golden = try SiglipPipelineGolden.load()
        let expected = try #require(golden.results.first).scores
        let threshold = expected.values.sorted()[2]  // the three best labels pass
        let out = try CLIRunner.run(["classify", "--model", Self.model, "--no-cache", "--format", "jsonl", "--multi-label",
                                     "--threshold", String(threshold - 1e-6)] + golden.labels.flatMap { ["--label", $0] }
                                    + ["images/a.png"])
        #expect(out.status == 0, "\(out.stderr)")
        let record = try #require(try CLIRunner.jsonLines(out.stdout).first)
        let selected = ((record["labels"] as? [[String: Any]]) ?? []).compactMap { $0["label"] as? String }
        #expect(Set(selected) == Set(expected.filter { $0.value >= threshold }.keys), "\(record)")
    }

    /// `embed`: texts as the pipeline embeds its prompts, images as transformers does.
    @Test func embedMatchesThePipeline() throws {
        let golden = try SiglipPipelineGolden.load()
        let out = try CLIRunner.run(["embed", "--model", Self.model] + golden.prompts.flatMap { ["--text", $0] }
                                    + Self.images)
        #expect(out.status == 0, "\(out.stderr)")
        let records = try CLIRunner.jsonLines(out.stdout)
        #expect(records.count == golden.prompts.count + Self.images.count)
        let expected = golden.text_embeddings + golden.results.map(\.image_embedding)
        for (record, reference) in zip(records, expected) {
            let embedding = try #require(record["embedding"] as? [Double])
            #expect(embedding.count == 32)
            let error = zip(embedding, reference).map { abs($0 - Double($1)) }.max() ?? .infinity
            #expect(error < 1e-5, "\(record["text"] ?? record["path"] ?? "")")
        }
    }

    /// `evaluate` ranks by the family's scores: its top-1 is the library's.
    @Test func evaluateAgreesWithTheLibrary() throws {
        let out = try CLIRunner.run(["evaluate", "--model", Self.model, "--class-names", "class-names.txt", "--no-cache",
                                     "--format", "json", "dataset"], in: Fixtures.url("evaluate"))
        #expect(out.status == 0, "\(out.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: out.stdoutData) as? [String: Any])
        let golden = try EvaluateGolden.load()
        let names = golden.per_class.map(\.name)
        let pipeline = try CLIPPipeline(directory: Fixtures.url("models/tiny-siglip"))
        let classifier = try ZeroShotClassifier(pipeline: pipeline, labels: names)
        var evaluation = ZeroShotEvaluation(classNames: names)
        for file in golden.files {
            let folder = String(file.prefix { $0 != "/" })
            evaluation.record(trueClass: try #require(golden.per_class.firstIndex { $0.folder == folder }),
                              try classifier.classify(contentsOf: Fixtures.url("evaluate/dataset/\(file)")))
        }
        #expect(report["images"] as? Int == golden.files.count && report["failed"] as? Int == 0)
        #expect(abs((report["top1"] as? Double ?? -1) - evaluation.top1Accuracy) < 1e-12)
        #expect(abs((report["top5"] as? Double ?? -1) - evaluation.top5Accuracy) < 1e-12)
    }

    /// `check-precision` compares bf16 and int8 SigLIP towers layer by layer.
    @Test func checkPrecision() throws {
        let out = try CLIRunner.run(["check-precision", "--model", Self.model, "images"])
        #expect(out.status == 0, "\(out.stderr)")
        let lines = out.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 7, "\(out.stdout)")
        #expect(lines[0].contains("(siglip)") && lines[0].contains("2 vision layers") && lines[0].contains("3 images"))
        #expect(lines[2].hasPrefix("bf16") && lines[3].hasPrefix("int8"))
    }

    /// The text cache: a second run reads the prompts' embeddings and gives the same scores;
    /// the SigLIP entry is keyed apart from CLIP's.
    @Test func textCacheRoundTrip() throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("clipkit-siglip-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cache) }
        let arguments = ["classify", "--model", Self.model, "--format", "jsonl", "--label", "cat", "--label", "dog",
                         "images/a.png"]
        let first = try CLIRunner.run(arguments, environment: ["XDG_CACHE_HOME": cache.path])
        let second = try CLIRunner.run(arguments, environment: ["XDG_CACHE_HOME": cache.path])
        #expect(first.status == 0 && second.status == 0, "\(first.stderr)\(second.stderr)")
        #expect(first.stdout == second.stdout)
        let uncached = try CLIRunner.run(arguments + ["--no-cache"])
        #expect(uncached.stdout == first.stdout)
        let files = FileManager.default.enumerator(atPath: cache.path)?.allObjects as? [String] ?? []
        #expect(!files.isEmpty)
    }
}
