import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Nothing is lost: records are flushed one by one, `kill -9` then `--resume` gives every input
/// exactly once, and SIGINT/SIGTERM finish the batch in flight and exit 130/143.
@Suite("Interrupted runs and --resume", .serialized)
struct ResumeTests {
    /// A temporary folder of `count` hard links to the fixture JPEG (slow enough with a debug
    /// build that a run can be interrupted part way).
    static func manyImages(_ count: Int) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory()
        let images = dir.url.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        let source = Fixtures.url("cli/jpeg/photo.jpg")
        for i in 0..<count {
            try FileManager.default.linkItem(at: source, to: images.appendingPathComponent(String(format: "img%05d.jpg", i)))
        }
        return dir
    }

    static func expectedPaths(_ count: Int) -> [String] {
        (0..<count).map { String(format: "images/img%05d.jpg", $0) }
    }

    /// Starts `clipkit args` in `directory`; standard output and error go to files there.
    static func start(_ arguments: [String], in directory: URL) throws -> Process {
        let executable = try #require(CLIRunner.executable, "the clipkit executable was not found")
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("stderr.txt").path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: directory.appendingPathComponent("stderr.txt"))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Complete lines in `file` now.
    static func lineCount(_ file: URL) -> Int {
        guard let data = try? Data(contentsOf: file) else { return 0 }
        return data.count(where: { $0 == UInt8(ascii: "\n") })
    }

    /// Waits until `file` has at least `lines` lines or the process ends; true if it got them
    /// while the process was still running.
    static func wait(for lines: Int, in file: URL, while process: Process) -> Bool {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, process.isRunning {
            if lineCount(file) >= lines { return true }
            usleep(20_000)
        }
        return false
    }

    static func classifyArguments(output: String, extra: [String] = []) -> [String] {
        ["classify", "--model", CLIRunner.model, "--label", "cat", "--label", "dog", "--batch-size", "4",
         "--threads", "1"] + extra + ["-o", output, "images"]
    }

    @Test("kill -9 mid-run, then --resume: every input exactly once, every line a whole record", arguments: ["jsonl", "csv"])
    func killThenResume(format: String) throws {
        let count = 240
        let dir = try Self.manyImages(count)
        let output = dir.url.appendingPathComponent("out.\(format)")
        let process = try Self.start(Self.classifyArguments(output: output.lastPathComponent, extra: ["--format", format]), in: dir.url)
        let interrupted = Self.wait(for: 12, in: output, while: process)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(interrupted, "the run ended before it could be killed; make the input set larger")
        #expect(process.terminationReason == .uncaughtSignal)
        let before = Self.lineCount(output)
        #expect(before < count + 1)
        // What a kill in the middle of a write leaves: a torn last line.
        let handle = try FileHandle(forWritingTo: output)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((format == "csv" ? "images/img0" : "{\"path\": \"images/img0").utf8))
        try handle.close()

        let resumed = try CLIRunner.run(Self.classifyArguments(output: output.lastPathComponent, extra: ["--format", format, "--resume"]), in: dir.url)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.hasSuffix("already recorded\n"))
        let text = try String(contentsOf: output, encoding: .utf8)
        let paths: [String]
        if format == "jsonl" {
            let records = try CLIRunner.jsonLines(text)
            paths = records.compactMap { $0["path"] as? String }
            #expect(records.allSatisfy { $0["label"] is String })
        } else {
            let rows = text.split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            #expect(rows.first == ["path", "label", "score", "cat", "dog"])
            #expect(rows.dropFirst().allSatisfy { $0.count == 5 && Double($0[2]) != nil })
            paths = rows.dropFirst().map { String($0[0]) }
        }
        #expect(paths.count == count)
        #expect(paths.sorted() == Self.expectedPaths(count))
        #expect(text.hasSuffix(format == "csv" ? "\r\n" : "\n"))
    }

    @Test("SIGTERM and SIGINT finish the batch in flight, flush, print the summary and exit 143 / 130",
          arguments: [(SIGTERM, Int32(143)), (SIGINT, Int32(130))])
    func signalStopsCleanly(signal: Int32, status: Int32) throws {
        let count = 240
        let dir = try Self.manyImages(count)
        let output = dir.url.appendingPathComponent("out.jsonl")
        let process = try Self.start(Self.classifyArguments(output: "out.jsonl", extra: ["--format", "jsonl"]), in: dir.url)
        #expect(Self.wait(for: 8, in: output, while: process))
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(process.terminationStatus == status)
        let records = try CLIRunner.jsonLines(try String(contentsOf: output, encoding: .utf8))
        #expect(records.count < count)
        #expect(records.count % 4 == 0, "whole batches only: \(records.count) records")
        #expect(records.compactMap { $0["path"] as? String } == Array(Self.expectedPaths(count).prefix(records.count)))
        let stderr = try String(contentsOf: dir.url.appendingPathComponent("stderr.txt"), encoding: .utf8)
        #expect(stderr.contains("received; finishing the current batch"))
        #expect(stderr.hasSuffix("classified \(records.count), failed 0\n"))

        // And the rest follows with --resume.
        let resumed = try CLIRunner.run(Self.classifyArguments(output: "out.jsonl", extra: ["--format", "jsonl", "--resume"]), in: dir.url)
        #expect(resumed.status == 0)
        let all = try CLIRunner.jsonLines(try String(contentsOf: output, encoding: .utf8))
        #expect(all.compactMap { $0["path"] as? String } == Self.expectedPaths(count))
    }

    @Test("embed jsonl: kill -9 then --resume gives every text and image once")
    func embedResume() throws {
        let count = 120
        let dir = try Self.manyImages(count)
        let arguments = ["embed", "--model", CLIRunner.model, "--text", "a cat", "--text", "a dog",
                         "--batch-size", "4", "--threads", "1", "-o", "out.jsonl", "images"]
        let output = dir.url.appendingPathComponent("out.jsonl")
        let process = try Self.start(arguments, in: dir.url)
        #expect(Self.wait(for: 10, in: output, while: process))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let resumed = try CLIRunner.run(arguments + ["--resume"], in: dir.url)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let records = try CLIRunner.jsonLines(try String(contentsOf: output, encoding: .utf8))
        #expect(records.compactMap { $0["text"] as? String } == ["a cat", "a dog"])
        #expect(records.compactMap { $0["path"] as? String }.sorted() == Self.expectedPaths(count))
        #expect(records.allSatisfy { ($0["embedding"] as? [Double])?.count == 12 })
    }

    @Test("--resume needs --output and a jsonl or csv format; csv with other labels is refused")
    func resumeValidation() throws {
        let noOutput = try CLIRunner.classify(["--label", "cat", "--format", "jsonl", "--resume", "images"])
        #expect(noOutput.status == 64 && noOutput.stderr.contains("--resume needs --output FILE"))
        let table = try CLIRunner.classify(["--label", "cat", "--resume", "-o", "/tmp/x", "images"])
        #expect(table.status == 64 && table.stderr.contains("--resume works with --format jsonl or csv, not table"))
        let dir = try TemporaryDirectory()
        let csv = try dir.write("out.csv", Data("path,label,score,cat,bird\r\n".utf8))
        let other = try CLIRunner.classify(["--label", "cat", "--label", "dog", "--format", "csv", "--resume", "-o", csv.path, "images"])
        #expect(other.status == 1 && other.stderr.contains("was written with other labels; cannot resume it with these"))
        let npy = try CLIRunner.run(["embed", "--model", CLIRunner.model, "--format", "npy", "-o", "x.npy", "--resume", "images"])
        #expect(npy.status == 64 && npy.stderr.contains("--resume works with --format jsonl, not npy"))
    }

    @Test("a jsonl file is written through record by record")
    func flushedPerRecord() throws {
        let count = 120
        let dir = try Self.manyImages(count)
        let output = dir.url.appendingPathComponent("out.jsonl")
        let process = try Self.start(Self.classifyArguments(output: "out.jsonl", extra: ["--format", "jsonl", "--batch-size", "1"]), in: dir.url)
        // With a 64 KB buffer nothing would reach the file before the end of the run.
        #expect(Self.wait(for: 3, in: output, while: process))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
