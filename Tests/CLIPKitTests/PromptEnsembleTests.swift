import Foundation
import Testing
@testable import CLIPKit

/// References written by scripts/fixtures/ensembles.py: open_clip 3.3.0's
/// `build_zero_shot_classifier` over transformers 5.23's tiny-clip, and open_clip's template sets.
struct EnsembleGolden: Decodable {
    struct Case: Decodable {
        let name: String
        let labels: [String]
        let templates: [String]
        let template_set: String?
        let label_embeddings: [[Float]]
        let cosines: [[Float]]
        let logits: [[Float]]
        let probabilities: [[Float]]
    }

    let image_count: Int
    let image_size: Int
    let template_sets: [String: [String]]
    let cases: [Case]

    static func load() throws -> EnsembleGolden {
        try JSONDecoder().decode(EnsembleGolden.self, from: Data(contentsOf: Fixtures.url("golden/ensembles/tiny-clip.json")))
    }
}

@Suite("Prompt ensembles")
struct PromptEnsembleTests {
    static let pipeline: CLIPPipeline? = try? CLIPPipeline(directory: Fixtures.url("models/tiny-clip"))

    func pipeline() throws -> CLIPPipeline {
        try #require(Self.pipeline, "the tiny model folder must load")
    }

    /// The shipped sets are open_clip's, template for template, in order.
    @Test func builtInSetsAreOpenCLIPs() throws {
        let golden = try EnsembleGolden.load()
        #expect(PromptTemplateSet.openAIImageNet.templates == golden.template_sets["openai-imagenet"])
        #expect(PromptTemplateSet.simpleImageNet.templates == golden.template_sets["simple-imagenet"])
        #expect(PromptTemplateSet.openAIImageNet.templates.count == 80)
        #expect(PromptTemplateSet.simpleImageNet.templates.count == 7)
        for set in PromptTemplateSet.builtIn {
            #expect(PromptTemplateSet.named(set.name) == set)
            #expect(throws: Never.self) { try ZeroShotClassifier.validate(templates: set.templates) }
        }
        #expect(PromptTemplateSet.named("imagenet") == nil)
    }

    /// Label embeddings, cosines and probabilities agree with open_clip's ensemble over
    /// transformers within 1e-5; logits (100 × cosine) within 1e-3.
    @Test func matchesOpenCLIPOverTransformers() throws {
        let golden = try EnsembleGolden.load()
        let pipeline = try pipeline()
        // ensembles.py scores model.py's pixel pattern, the one ModelGolden reproduces.
        let model = try ModelGolden.load("tiny-clip")
        try #require(model.image_count == golden.image_count && model.image_size == golden.image_size)
        let pixels = model.pixels
        let embeddings = try pipeline.model.imageEmbeddings(pixels: pixels)
        for golden in golden.cases {
            let classifier: ZeroShotClassifier
            if let name = golden.template_set {
                let set = try #require(PromptTemplateSet.named(name))
                classifier = try ZeroShotClassifier(pipeline: pipeline, labels: golden.labels, templates: set)
            } else {
                classifier = try ZeroShotClassifier(pipeline: pipeline, labels: golden.labels, templates: golden.templates)
            }
            #expect(classifier.prompts.count == golden.labels.count * golden.templates.count)
            #expect(maxAbsDifference(classifier.labelEmbeddings, golden.label_embeddings) <= 1e-5, "\(golden.name)")
            for (kind, reference, tolerance) in [(ZeroShotScoreKind.softmax, golden.probabilities, Float(1e-5)),
                                                 (.cosine, golden.cosines, 1e-5), (.logit, golden.logits, 1e-3)] {
                let results = classifier.classify(imageEmbeddings: embeddings, scores: kind)
                #expect(results.count == reference.count)
                var worst: Float = 0
                for (row, result) in results.enumerated() {
                    #expect(result.scores.count == golden.labels.count)
                    for (j, label) in golden.labels.enumerated() {
                        worst = max(worst, abs((result.score(of: label) ?? .infinity) - reference[row][j]))
                    }
                }
                #expect(worst <= tolerance, "\(golden.name) \(kind): |Δ| = \(worst)")
            }
        }
    }

    /// A one-template ensemble is the plain classifier, bit for bit.
    @Test func singleTemplateIsThePlainClassifier() throws {
        let pipeline = try pipeline()
        let plain = try ZeroShotClassifier(pipeline: pipeline, labels: ["cat", "dog"], template: "a {}")
        let listed = try ZeroShotClassifier(pipeline: pipeline, labels: ["cat", "dog"], templates: ["a {}"])
        #expect(plain.labelEmbeddings == listed.labelEmbeddings)
        #expect(plain.template == "a {}" && plain.templates == ["a {}"])
        let two = try ZeroShotClassifier(pipeline: pipeline, labels: ["cat", "dog"], templates: ["a {}", "the {}"])
        #expect(two.prompts == ["a cat", "the cat", "a dog", "the dog"])
        #expect(two.labelEmbeddings != plain.labelEmbeddings)
    }

    @Test func ensembleIsTheNormalisedMeanOfNormalisedRows() throws {
        let rows = try #require(Tensor(shape: [4, 2], scalars: [1, 0, 0, 1, 3, 4, 3, 4]))
        let out = ZeroShotClassifier.ensembled(rows, templatesPerLabel: 2)
        #expect(out.shape == [2, 2])
        let s = Float(0.5).squareRoot()
        #expect(abs(out.scalars[0] - s) < 1e-7 && abs(out.scalars[1] - s) < 1e-7)
        #expect(abs(out.scalars[2] - 0.6) < 1e-7 && abs(out.scalars[3] - 0.8) < 1e-7)
    }

    @Test func validation() throws {
        let pipeline = try pipeline()
        #expect(throws: ClassifierError.noTemplates) { try ZeroShotClassifier(pipeline: pipeline, labels: ["cat"], templates: []) }
        #expect(throws: ClassifierError.templateWithoutPlaceholder("b")) {
            try ZeroShotClassifier(pipeline: pipeline, labels: ["cat"], templates: ["a {}", "b"])
        }
        #expect(throws: ClassifierError.noTemplates) { try PromptTemplateSet(name: "x", templates: []) }
    }

    @Test func templateFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("clipkit-templates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = folder.appendingPathComponent("good.txt")
        try Data("\u{FEFF}# mine\r\n  a photo of a {}.  \r\n\r\nart of the {}.\n".utf8).write(to: good)
        let set = try PromptTemplateSet.resolve(good.path)
        #expect(set.templates == ["a photo of a {}.", "art of the {}."])
        #expect(set.name == good.path)
        #expect(try PromptTemplateSet.resolve("simple-imagenet") == .simpleImageNet)

        let bad = folder.appendingPathComponent("bad.txt")
        try Data("a photo\n".utf8).write(to: bad)
        #expect(throws: ClassifierError.templateWithoutPlaceholder("a photo")) { try PromptTemplateSet.resolve(bad.path) }
        let empty = folder.appendingPathComponent("empty.txt")
        try Data("# nothing\n\n".utf8).write(to: empty)
        #expect(throws: ClassifierError.unreadableTemplates(path: empty.path, reason: "no templates in the file")) {
            try PromptTemplateSet.resolve(empty.path)
        }
        #expect(throws: ClassifierError.unknownTemplateSet("no-such-set", known: ["openai-imagenet", "simple-imagenet"])) {
            try PromptTemplateSet.resolve("no-such-set")
        }
        #expect(throws: ClassifierError.unknownTemplateSet(folder.path, known: ["openai-imagenet", "simple-imagenet"])) {
            try PromptTemplateSet.resolve(folder.path)
        }
    }

    /// Softmax sums to 1 and ranks as the logits do; cosine = logit / exp(logit_scale).
    @Test func scoreKindsAgree() throws {
        let pipeline = try pipeline()
        let classifier = try ZeroShotClassifier(pipeline: pipeline, labels: ["cat", "dog", "bird"], templates: .simpleImageNet)
        let image = try ZeroShotClassifierTests.image(width: 40, height: 30, seed: 4)
        let softmax = try classifier.classify(image)
        let cosine = try classifier.classify(image, scores: .cosine)
        let logit = try classifier.classify(image, scores: .logit)
        #expect(abs(softmax.scores.map(\.score).reduce(0, +) - 1) < 1e-5)
        #expect(softmax.scores.map(\.label) == logit.scores.map(\.label))
        #expect(cosine.scores.map(\.label) == logit.scores.map(\.label))
        let scale = expf(pipeline.model.logitScale)
        for score in cosine.scores {
            #expect(abs(score.score * scale - (logit.score(of: score.label) ?? .infinity)) < 1e-3)
            #expect(score.score >= -1 && score.score <= 1)
        }
    }

    @Test func multiLabelSelection() {
        let c = Classification(scores: [.init(label: "a", score: 0.31), .init(label: "b", score: 0.2),
                                        .init(label: "c", score: 0.25)])
        #expect(c.labels(scoringAtLeast: 0.25).map(\.label) == ["a", "c"])
        #expect(c.labels(scoringAtLeast: 0.5).isEmpty)
        #expect(c.labels(scoringAtLeast: -1).count == 3)
    }
}
