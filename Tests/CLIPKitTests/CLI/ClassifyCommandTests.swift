import Foundation
import Testing

/// `clipkit classify` run as a program against the tiny model and `Tests/Fixtures/cli/images`
/// (a.png b.png c.png readable; corrupt.png and notes.txt not; .hidden.png hidden;
/// sub/nested.png only with --recursive).
@Suite("clipkit classify", .serialized)
struct ClassifyCommandTests {
    static let good = ["images/a.png", "images/b.png", "images/c.png"]
    static let bad = ["images/corrupt.png", "images/notes.txt"]

    @Test func tableIsTheDefault() throws {
        let out = try CLIRunner.classify(["--label", "cat", "--label", "dog", "images"])
        #expect(out.status == 0)
        let lines = out.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 9)  // rule, header, rule, 5 rows, rule
        #expect(lines[1].hasPrefix("|image_name ") && lines[1].contains("|result") && lines[1].hasSuffix("|score |"))
        #expect(lines.allSatisfy { $0.hasPrefix("+") || $0.hasPrefix("|") })
        let names = lines[3..<8].map { $0.dropFirst().split(separator: "|", omittingEmptySubsequences: false)[0].trimmingCharacters(in: .whitespaces) }
        #expect(names == ["a.png", "b.png", "c.png", "corrupt.png", "notes.txt"])
        for row in lines[3..<6] {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(["cat", "dog"].contains(cells[1]))
            let score = try #require(Double(cells[2]))
            #expect(score >= 0.5 && score <= 1 && cells[2].count == 6)
        }
        #expect(lines[6].contains("error: ") && lines[6].contains("corrupt.png"))
        #expect(out.stderr == "classified 3, failed 2\n")
    }

    @Test func jsonlHasOneRecordPerInputInOrder() throws {
        let out = try CLIRunner.classify(["--label", "cat", "--label", "dog", "--label", "bird", "--format", "jsonl", "images"])
        #expect(out.status == 0)
        let records = try CLIRunner.jsonLines(out.stdout)
        #expect(records.compactMap { $0["path"] as? String } == Self.good + Self.bad)
        for record in records.prefix(3) {
            #expect(Set(record.keys) == ["path", "label", "score", "scores"])
            let scores = try #require(record["scores"] as? [[String: Any]])
            let values = scores.compactMap { $0["score"] as? Double }
            #expect(Set(scores.compactMap { $0["label"] as? String }) == ["cat", "dog", "bird"])
            #expect(values == values.sorted(by: >))
            #expect(abs(values.reduce(0, +) - 1) < 1e-5)
            #expect(record["label"] as? String == scores[0]["label"] as? String)
            #expect(record["score"] as? Double == values[0])
        }
        for record in records.suffix(2) {
            #expect(Set(record.keys) == ["path", "error"])
            #expect((record["error"] as? String)?.isEmpty == false)
        }
        #expect(out.stderr == "classified 3, failed 2\n")
    }

    @Test func jsonIsAnArrayOfTheSameRecords() throws {
        let args = ["--label", "cat", "--label", "dog", "images"]
        let json = try CLIRunner.classify(args + ["--format", "json"])
        let jsonl = try CLIRunner.classify(args + ["--format", "jsonl"])
        let array = try #require(try JSONSerialization.jsonObject(with: json.stdoutData) as? [[String: Any]])
        let lines = try CLIRunner.jsonLines(jsonl.stdout)
        #expect(array.count == 5)
        #expect(NSArray(array: array).isEqual(to: lines))
    }

    @Test func jsonWithNoInputsIsAnEmptyArray() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("clipkit-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let out = try CLIRunner.classify(["--label", "cat", "--format", "json", empty.path])
        #expect(out.status == 0)
        #expect(try JSONSerialization.jsonObject(with: out.stdoutData) as? [Any] != nil)
        #expect(out.stderr == "classified 0, failed 0\n")
    }

    @Test func csvQuotesAndHasAColumnPerLabel() throws {
        let out = try CLIRunner.classify(["--labels-file", "labels.txt", "--format", "csv", "images"])
        #expect(out.status == 0)
        #expect(out.stdout.hasSuffix("\r\n"))
        let rows = out.stdout.components(separatedBy: "\r\n").dropLast()
        #expect(rows.first == #"path,label,score,cat,dog,"a photo, with ""quotes""""#)
        #expect(rows.count == 6)
        for row in rows.dropFirst().prefix(3) {
            let fields = csvFields(row)
            #expect(fields.count == 6)
            let perLabel = fields[3...].compactMap { Double($0) }
            #expect(perLabel.count == 3 && abs(perLabel.reduce(0, +) - 1) < 1e-5)
            #expect(Double(fields[2]) == perLabel.max())
        }
        #expect(rows[4] == "images/corrupt.png,,,,,")
        #expect(rows[5] == "images/notes.txt,,,,,")
        // csv cannot carry the reason, so it goes to standard error.
        #expect(out.stderr.contains("corrupt.png") && out.stderr.hasSuffix("classified 3, failed 2\n"))
    }

    @Test func labelsFileSkipsCommentsAndBlankLinesAndTrims() throws {
        let out = try CLIRunner.classify(["--labels-file", "labels.txt", "--format", "jsonl", "images/a.png"])
        let record = try #require(try CLIRunner.jsonLines(out.stdout).first)
        let labels = try #require(record["scores"] as? [[String: Any]]).compactMap { $0["label"] as? String }
        #expect(Set(labels) == ["cat", "dog", #"a photo, with "quotes""#])
    }

    @Test func topKLimitsScores() throws {
        let out = try CLIRunner.classify(["--label", "cat", "--label", "dog", "--label", "bird", "--top-k", "2", "--format", "jsonl", "images"])
        for record in try CLIRunner.jsonLines(out.stdout).prefix(3) {
            #expect((record["scores"] as? [Any])?.count == 2)
        }
        let big = try CLIRunner.classify(["--label", "cat", "--top-k", "5", "--format", "jsonl", "images/a.png"])
        #expect((try CLIRunner.jsonLines(big.stdout).first?["scores"] as? [Any])?.count == 1)
        #expect(try CLIRunner.classify(["--label", "cat", "--top-k", "0", "images"]).status == 64)
    }

    @Test func templateChangesPromptsButOutputNamesLabels() throws {
        func scores(_ extra: [String]) throws -> [String: Double] {
            let out = try CLIRunner.classify(["--label", "cat", "--label", "dog", "--format", "jsonl", "images/b.png"] + extra)
            let record = try #require(try CLIRunner.jsonLines(out.stdout).first)
            let pairs = try #require(record["scores"] as? [[String: Any]])
            return Dictionary(uniqueKeysWithValues: pairs.map { ($0["label"] as? String ?? "", $0["score"] as? Double ?? -1) })
        }
        let plain = try scores([])
        let templated = try scores(["--template", "a photo of a {}"])
        #expect(Set(templated.keys) == ["cat", "dog"])
        #expect(plain != templated)
        #expect(try CLIRunner.classify(["--label", "cat", "--template", "a photo", "images"]).status == 64)
    }

    @Test func recursionAndHiddenFiles() throws {
        func paths(_ args: [String]) throws -> [String] {
            let out = try CLIRunner.classify(["--label", "cat", "--format", "jsonl"] + args)
            return try CLIRunner.jsonLines(out.stdout).compactMap { $0["path"] as? String }
        }
        #expect(try paths(["images"]) == Self.good + Self.bad)
        #expect(try paths(["-r", "images/"]) == Self.good + Self.bad + ["images/sub/nested.png"])
        // A hidden file named explicitly is used.
        #expect(try paths(["images/.hidden.png"]) == ["images/.hidden.png"])
        let table = try CLIRunner.classify(["--label", "cat", "--recursive", "images"])
        #expect(table.stdout.contains("|sub/nested.png"))
    }

    @Test func missingPathIsAnErrorRecord() throws {
        let out = try CLIRunner.classify(["--label", "cat", "--format", "jsonl", "images/a.png", "nope.png"])
        #expect(out.status == 0)
        let records = try CLIRunner.jsonLines(out.stdout)
        #expect(records.count == 2)
        #expect((records[1]["error"] as? String)?.contains("nope.png: no such file") == true)
        #expect(out.stderr == "classified 1, failed 1\n")
    }

    @Test func strictStopsAtTheFirstUnreadableInput() throws {
        let out = try CLIRunner.classify(["--label", "cat", "--strict", "--format", "jsonl", "images"])
        #expect(out.status == 1)
        let records = try CLIRunner.jsonLines(out.stdout)
        #expect(records.compactMap { $0["path"] as? String } == Self.good + ["images/corrupt.png"])
        #expect(out.stderr.contains("classified 3, failed 1\n"))
        #expect(out.stderr.contains("corrupt.png"))
        #expect(try CLIRunner.classify(["--label", "cat", "--strict"] + Self.good).status == 0)
    }

    @Test("label errors are usage errors", arguments: [
        (["--label", "cat", "--label", "cat"], "duplicate label 'cat'"),
        (["--label", "cat", "--label", ""], "label 2 is empty"),
        ([], "at least one --label"),
        (["--labels-file", "missing.txt"], "cannot read labels file missing.txt"),
    ])
    func labelErrors(arguments: [String], message: String) throws {
        let out = try CLIRunner.classify(arguments + ["images"])
        #expect(out.status == 64)
        #expect(out.stderr.contains(message))
        #expect(out.stdout.isEmpty)
    }

    @Test func duplicateAcrossFlagAndFile() throws {
        let out = try CLIRunner.classify(["--label", "dog", "--labels-file", "labels.txt", "images"])
        #expect(out.status == 64 && out.stderr.contains("duplicate label 'dog'"))
    }

    @Test func unloadableModelFailsWithOneLine() throws {
        let out = try CLIRunner.run(["classify", "--model", "/nonexistent/model", "--label", "cat", "images"])
        #expect(out.status == 1)
        #expect(out.stderr.split(separator: "\n").count == 1)
        #expect(out.stderr.contains("cannot load model '/nonexistent/model'"))
        let broken = try CLIRunner.run(["classify", "--model", "images", "--label", "cat", "images"])
        #expect(broken.status == 1 && broken.stderr.split(separator: "\n").count == 1)
    }

    @Test func outputFileAndNoProgressBarWhenNotATerminal() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("clipkit-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        let out = try CLIRunner.classify(["--label", "cat", "--label", "dog", "--format", "jsonl", "-o", file.path, "--batch-size", "2", "--threads", "1", "images"])
        #expect(out.status == 0 && out.stdout.isEmpty)
        #expect(out.stderr == "classified 3, failed 2\n")  // nothing else: stderr is a pipe here
        #expect(try CLIRunner.jsonLines(String(contentsOf: file, encoding: .utf8)).count == 5)
    }

    /// Needs the real decoder (feat/images): the stand-in reads PNG only.
    @Test func jpegIsDetectedByContent() throws {
        let out = try CLIRunner.classify(["--label", "cat", "--label", "dog", "--format", "jsonl", "jpeg/photo.jpg"])
        let record = try #require(try CLIRunner.jsonLines(out.stdout).first)
        #expect(record["error"] == nil)
        #expect(out.stderr == "classified 1, failed 0\n")
    }
}

/// Splits one RFC 4180 record into its fields (quoted fields may hold commas and `""`).
func csvFields(_ record: String) -> [String] {
    var fields: [String] = []
    var field = ""
    var quoted = false
    var iterator = record.makeIterator()
    var pending: Character? = nil
    while let c = pending ?? iterator.next() {
        pending = nil
        if quoted {
            if c == "\"" {
                if let next = iterator.next() {
                    if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                } else { quoted = false }
            } else { field.append(c) }
        } else if c == "\"" {
            quoted = true
        } else if c == "," {
            fields.append(field)
            field = ""
        } else { field.append(c) }
    }
    fields.append(field)
    return fields
}
