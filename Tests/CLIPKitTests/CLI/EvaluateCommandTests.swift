import Foundation
import Testing
@testable import CLIPKit

/// The expected answer of `clipkit evaluate` on Tests/Fixtures/evaluate, from
/// scripts/fixtures/ensembles.py (open_clip's ensemble over transformers, PIL preprocessing).
struct EvaluateGolden: Decodable {
    struct PerClass: Decodable {
        let folder: String
        let name: String
        let images: Int
        let top1: Double
    }

    struct Confused: Decodable, Equatable {
        let `true`: String
        let predicted: String
        let count: Int
    }

    let templates: String
    let files: [String]
    let probabilities: [[Float]]
    let top1: Double
    let top5: Double
    let per_class: [PerClass]
    let confused: [Confused]

    static func load() throws -> EvaluateGolden {
        try JSONDecoder().decode(EvaluateGolden.self, from: Data(contentsOf: Fixtures.url("golden/ensembles/evaluate.json")))
    }
}

@Suite("clipkit evaluate", .serialized)
struct EvaluateCommandTests {
    static let arguments = ["evaluate", "--model", CLIRunner.model, "--templates", "simple-imagenet",
                            "--class-names", "class-names.txt", "--no-cache"]

    /// The library, fed the same files, gives the reference probabilities (|Δp| ≤ 1e-5).
    @Test func libraryMatchesTheReferenceImageByImage() throws {
        let golden = try EvaluateGolden.load()
        let pipeline = try #require(PromptEnsembleTests.pipeline)
        let names = golden.per_class.map(\.name)
        let classifier = try ZeroShotClassifier(pipeline: pipeline, labels: names, templates: .simpleImageNet)
        var evaluation = ZeroShotEvaluation(classNames: names)
        for (file, reference) in zip(golden.files, golden.probabilities) {
            let result = try classifier.classify(contentsOf: Fixtures.url("evaluate/dataset/\(file)"))
            for (j, name) in names.enumerated() {
                #expect(abs((result.score(of: name) ?? .infinity) - reference[j]) <= 1e-5, "\(file) \(name)")
            }
            let folder = String(file.prefix { $0 != "/" })
            evaluation.record(trueClass: try #require(golden.per_class.firstIndex { $0.folder == folder }), result)
        }
        #expect(evaluation.top1Accuracy == golden.top1 && evaluation.top5Accuracy == golden.top5)
    }

    @Test func jsonReportMatchesTheReference() throws {
        let golden = try EvaluateGolden.load()
        let out = try CLIRunner.run(Self.arguments + ["--format", "json", "dataset"], in: Fixtures.url("evaluate"))
        #expect(out.status == 0, "\(out.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: out.stdoutData) as? [String: Any])
        #expect(report["images"] as? Int == golden.files.count)
        #expect(report["classes"] as? Int == golden.per_class.count)
        #expect(report["failed"] as? Int == 0)
        #expect(report["templates"] as? Int == 7)
        #expect(abs((report["top1"] as? Double ?? -1) - golden.top1) < 1e-12)
        #expect(abs((report["top5"] as? Double ?? -1) - golden.top5) < 1e-12)
        #expect((report["images_per_second"] as? Double ?? 0) > 0)
        let perClass = try #require(report["per_class"] as? [[String: Any]])
        #expect(perClass.compactMap { $0["class"] as? String } == golden.per_class.map(\.name))
        #expect(perClass.compactMap { $0["folder"] as? String } == golden.per_class.map(\.folder))
        #expect(perClass.compactMap { $0["images"] as? Int } == golden.per_class.map(\.images))
        #expect(perClass.compactMap { $0["top1"] as? Double } == golden.per_class.map(\.top1))
        let confused = try #require(report["most_confused"] as? [[String: Any]]).map {
            EvaluateGolden.Confused(true: $0["true"] as? String ?? "", predicted: $0["predicted"] as? String ?? "", count: $0["count"] as? Int ?? 0)
        }
        #expect(confused == golden.confused)
    }

    @Test func tableReport() throws {
        let out = try CLIRunner.run(Self.arguments + ["--confused-pairs", "2", "dataset"], in: Fixtures.url("evaluate"))
        #expect(out.status == 0)
        let lines = out.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "dataset   dataset: 7 classes, 14 images")
        #expect(lines[1] == "model     \(CLIRunner.model), 7 templates per class")
        #expect(lines[2] == "top-1     21.43%")
        #expect(lines[3] == "top-5     71.43%")
        #expect(lines[4].hasPrefix("speed     ") && lines[4].contains(" images/s"))
        #expect(lines[6].hasPrefix("class    folder  images"))
        #expect(lines[8] == "dog      n02          2  50.00%  100.00%")
        #expect(out.stdout.hasSuffix("most confused (true -> predicted: images)\n  cat -> dog: 2\n  bird -> dog: 2\n"))
    }

    /// Folder names are the classes without --class-names; other name-file forms map the same way.
    @Test func classNameForms() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clipkit-names-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = ["evaluate", "--model", CLIRunner.model, "--no-cache", "--format", "json"]
        func classes(_ extra: [String]) throws -> [String] {
            let out = try CLIRunner.run(base + extra + ["dataset"], in: Fixtures.url("evaluate"))
            #expect(out.status == 0, "\(out.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: out.stdoutData) as? [String: Any])
            return try #require(report["per_class"] as? [[String: Any]]).compactMap { $0["class"] as? String }
        }
        #expect(try classes([]) == ["n01", "n02", "n03", "n04", "n05", "n06", "n07"])
        let names = ["cat", "dog", "bird", "tractor", "hippo", "ostrich", "room"]
        let json = dir.appendingPathComponent("names.json")
        try Data(#"{"n01": "cat", "n02": "dog", "n03": "bird", "n04": "tractor", "n05": "hippo", "n06": "ostrich", "n07": "room"}"#.utf8).write(to: json)
        #expect(try classes(["--class-names", json.path]) == names)
        let list = dir.appendingPathComponent("list.txt")
        try Data((names.joined(separator: "\n") + "\n").utf8).write(to: list)
        #expect(try classes(["--class-names", list.path]) == names)
        let spaced = dir.appendingPathComponent("spaced.txt")
        try Data(zip(1...7, names).map { "n0\($0) big \($1)\n" }.joined().utf8).write(to: spaced)
        #expect(try classes(["--class-names", spaced.path]) == names.map { "big \($0)" })

        let missing = dir.appendingPathComponent("missing.txt")
        try Data("n01\tcat\n".utf8).write(to: missing)
        let out = try CLIRunner.run(base + ["--class-names", missing.path, "dataset"], in: Fixtures.url("evaluate"))
        #expect(out.status != 0 && out.stderr.contains("no name for folder 'n02'"))
        let flat = try CLIRunner.run(base + ["dataset/n01"], in: Fixtures.url("evaluate"))
        #expect(flat.status != 0 && flat.stderr.contains("no class subfolders"))
    }
}
