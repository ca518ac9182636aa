import Foundation
import Testing
@testable import CLIPKit

/// `classify` with templates, ensembles, score kinds, multi-label output and the cache, and
/// `clipkit cache`; checked against the library on the same tiny model.
@Suite("clipkit classify: prompts, scores, cache", .serialized)
struct PromptOptionsCommandTests {
    static func library(labels: [String], templates: [String], kind: ZeroShotScoreKind, file: String) throws -> Classification {
        let pipeline = try #require(PromptEnsembleTests.pipeline)
        let classifier = try ZeroShotClassifier(pipeline: pipeline, labels: labels, templates: templates)
        return try classifier.classify(contentsOf: Fixtures.url("cli/\(file)"), scores: kind)
    }

    static func scores(_ record: [String: Any], key: String = "scores") -> [String: Double] {
        Dictionary(uniqueKeysWithValues: ((record[key] as? [[String: Any]]) ?? []).compactMap { item in
            (item["label"] as? String).flatMap { label in (item["score"] as? Double).map { (label, $0) } }
        })
    }

    /// Every score kind and template form gives the library's numbers.
    @Test(arguments: [
        (["--templates", "simple-imagenet"], PromptTemplateSet.simpleImageNet.templates, ZeroShotScoreKind.softmax),
        (["--template", "a photo of a {}.", "--template", "art of the {}.", "--scores", "cosine"], ["a photo of a {}.", "art of the {}."], .cosine),
        (["--templates", "simple-imagenet", "--template", "a {}", "--scores", "logit"], PromptTemplateSet.simpleImageNet.templates + ["a {}"], .logit),
    ])
    func scoresMatchTheLibrary(arguments: [String], templates: [String], kind: ZeroShotScoreKind) throws {
        let labels = ["cat", "dog", "bird"]
        let out = try CLIRunner.classify(labels.flatMap { ["--label", $0] } + arguments + ["--format", "jsonl", "images/a.png", "images/c.png"])
        #expect(out.status == 0, "\(out.stderr)")
        let records = try CLIRunner.jsonLines(out.stdout)
        #expect(records.count == 2)
        for (record, file) in zip(records, ["images/a.png", "images/c.png"]) {
            let expected = try Self.library(labels: labels, templates: templates, kind: kind, file: file)
            let got = Self.scores(record)
            for score in expected.scores {
                let tolerance = kind == .logit ? 1e-3 : Double(Fixtures.runToRun)  // batched vs single-image products; logits are scaled by 100
                #expect(abs((got[score.label] ?? .infinity) - Double(score.score)) < tolerance)
            }
            #expect(record["label"] as? String == expected.label)
        }
    }

    @Test func multiLabelInEveryFormat() throws {
        let labels = ["cat", "dog", "bird"]
        let expected = try Self.library(labels: labels, templates: ["{}"], kind: .cosine, file: "images/b.png")
        // A threshold between the best and second-best cosine selects exactly the best label...
        let sorted = expected.scores.map(\.score)
        let between = (sorted[0] + sorted[1]) / 2
        // ...and one below every score selects them all.
        let below = (sorted.last ?? 0) - 0.01
        let base = labels.flatMap { ["--label", $0] } + ["--scores", "cosine", "--multi-label"]

        let json = try CLIRunner.classify(base + ["--threshold=\(between)", "--format", "jsonl", "images/b.png"])
        let record = try #require(try CLIRunner.jsonLines(json.stdout).first)
        #expect(Set(record.keys) == ["path", "label", "score", "labels", "scores"])
        #expect(Self.scores(record, key: "labels").keys.sorted() == [expected.label])
        let all = try CLIRunner.classify(base + ["--threshold=\(below)", "--format", "json", "images/b.png"])
        let array = try #require(try JSONSerialization.jsonObject(with: all.stdoutData) as? [[String: Any]])
        #expect(((array.first?["labels"] as? [[String: Any]]) ?? []).compactMap { $0["label"] as? String } == expected.scores.map(\.label))

        let table = try CLIRunner.classify(base + ["--threshold=\(below)", "images/b.png", "images/corrupt.png"])
        let row = try #require(table.stdout.split(separator: "\n").first { $0.hasPrefix("|b.png") })
        let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(cells[1] == expected.scores.map(\.label).joined(separator: ", "))
        #expect(cells[2] == expected.scores.map { String(format: "%.4f", Double($0.score)) }.joined(separator: ", "))
        let none = try CLIRunner.classify(base + ["--threshold", "2", "images/b.png"])
        #expect(none.stdout.contains("|(none)"))

        let csv = try CLIRunner.classify(base + ["--threshold=\(between)", "--format", "csv", "images/b.png", "images/corrupt.png"])
        let rows = csv.stdout.components(separatedBy: "\r\n")
        #expect(rows[0] == "path,label,score,labels,cat,dog,bird")
        #expect(rows[1].hasPrefix("images/b.png,\(expected.label),") && rows[1].split(separator: ",")[3] == expected.label)
        #expect(rows[2] == "images/corrupt.png,,,,,,")
    }

    @Test func optionChecks() throws {
        let cases: [([String], String)] = [
            (["--multi-label"], "--multi-label needs --threshold"),
            (["--threshold", "0.2"], "--threshold needs --multi-label"),
            (["--templates", "nope"], "'nope' is neither a template set"),
            (["--template", "no placeholder"], "{}"),
            (["--scores", "probability"], "probability"),
        ]
        for (arguments, message) in cases {
            let out = try CLIRunner.classify(["--label", "cat"] + arguments + ["images/a.png"])
            #expect(out.status != 0, "\(arguments)")
            #expect(out.stderr.contains(message), "\(arguments): \(out.stderr)")
        }
    }

    /// Two processes filling one cache at once both keep their prompts; a second run reads them
    /// all; `cache info` lists the file; `cache clear` empties it; --no-cache touches nothing.
    @Test func cacheAcrossProcesses() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("clipkit-xdg-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let environment = ["XDG_CACHE_HOME": home.path]
        let executable = try #require(CLIRunner.executable)
        func start(_ labels: [String]) throws -> Process {
            let process = Process()
            process.executableURL = executable
            process.arguments = ["classify", "--model", CLIRunner.model, "--templates", "openai-imagenet", "--format", "jsonl"]
                + labels.flatMap { ["--label", $0] } + [Fixtures.url("cli/images/a.png").path]
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        let first = ["cat", "dog", "bird", "hen"], second = ["ox", "room", "tractor", "hippo"]
        let a = try start(first), b = try start(second)
        a.waitUntilExit()
        b.waitUntilExit()
        #expect(a.terminationStatus == 0 && b.terminationStatus == 0)

        let pipeline = try #require(PromptEnsembleTests.pipeline)
        let cache = TextEmbeddingCache(directory: home.appendingPathComponent("clipkit"))
        let warm = try ZeroShotClassifier(pipeline: pipeline, labels: first + second, templates: .openAIImageNet, cache: cache)
        #expect(warm.cacheLookup?.misses == 0 && warm.cacheLookup?.hits == 640)
        #expect(warm.cacheLookup?.problems.isEmpty == true)

        let info = try CLIRunner.run(["cache", "info"], environment: environment)
        #expect(info.status == 0)
        #expect(info.stdout.contains("1 model file(s)") && info.stdout.contains("640 prompts × 12"))
        #expect(info.stdout.contains("tiny-clip/model.safetensors"))
        let cleared = try CLIRunner.run(["cache", "clear"], environment: environment)
        #expect(cleared.status == 0 && cleared.stdout.hasPrefix("removed "))
        #expect(cache.summary().isEmpty)

        let bypass = try CLIRunner.classify(["--label", "cat", "--no-cache", "images/a.png"])
        #expect(bypass.status == 0)
        let untouched = try CLIRunner.run(["classify", "--model", CLIRunner.model, "--label", "zebra", "--no-cache", "images/a.png"], environment: environment)
        #expect(untouched.status == 0 && cache.summary().isEmpty)
    }

    /// A damaged cache file is reported once as a warning, then rebuilt; results do not change.
    @Test func damagedCacheFileIsAWarningNotAFailure() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("clipkit-xdg-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let environment = ["XDG_CACHE_HOME": home.path]
        let arguments = ["classify", "--model", CLIRunner.model, "--label", "cat", "--label", "dog", "--format", "jsonl", "images/a.png"]
        let clean = try CLIRunner.run(arguments, environment: environment)
        let files = try FileManager.default.contentsOfDirectory(at: home.appendingPathComponent("clipkit/text-embeddings"), includingPropertiesForKeys: nil)
        let file = try #require(files.first { $0.pathExtension == "bin" })
        try Data("not a cache file".utf8).write(to: file)
        let damaged = try CLIRunner.run(arguments, environment: environment)
        #expect(damaged.status == 0)
        #expect(damaged.stdout == clean.stdout)
        #expect(damaged.stderr.contains("warning: text-embedding cache file") && damaged.stderr.contains("damaged"))
        let healed = try CLIRunner.run(arguments, environment: environment)
        #expect(!healed.stderr.contains("warning"))
    }
}
