import Foundation
import Testing

/// `clipkit check-precision` and `--precision` run as a program against the tiny model.
@Suite("clipkit check-precision", .serialized)
struct CheckPrecisionCommandTests {
    @Test func reportsBothPrecisionsPerLayer() throws {
        let out = try CLIRunner.run(["check-precision", "--model", CLIRunner.model, "images"])
        #expect(out.status == 0, "\(out.stderr)")
        let lines = out.stdout.split(separator: "\n").map(String.init)
        // model line, summary header, bf16, int8, layer header, 2 layers
        #expect(lines.count == 7, "\(out.stdout)")
        #expect(lines[0].contains("2 vision layers") && lines[0].contains("3 images") && lines[0].contains("9 labels"))
        #expect(lines[2].hasPrefix("bf16 ") && lines[2].hasSuffix(" 3/3"))
        #expect(lines[3].hasPrefix("int8 "))
        // Every cosine printed is a number in [0.99, 1].
        let cosines = lines[5...6].flatMap { $0.split(separator: " ").dropFirst().compactMap { Double($0) } }
        #expect(cosines.count == 8 && cosines.allSatisfy { $0 >= 0.99 && $0 <= 1 })
        // Unreadable inputs are reported, not fatal.
        #expect(out.stderr.contains("corrupt.png"))
    }

    @Test func precisionNarrowsTheCheck() throws {
        let out = try CLIRunner.run(["check-precision", "--model", CLIRunner.model, "--precision", "int8", "images/a.png"])
        #expect(out.status == 0)
        #expect(out.stdout.contains("\nint8 ") && !out.stdout.contains("\nbf16 "))
    }

    @Test func classifyTakesAPrecision() throws {
        for precision in ["bf16", "int8"] {
            let out = try CLIRunner.classify(["--precision", precision, "--label", "cat", "--label", "dog", "images/a.png"])
            #expect(out.status == 0)
            #expect(out.stdout.contains("a.png"))
        }
        let bad = try CLIRunner.classify(["--precision", "fp8", "--label", "cat", "images/a.png"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("precision"))
    }
}
