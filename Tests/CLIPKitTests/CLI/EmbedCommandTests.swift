import Foundation
import Testing

@Suite("clipkit embed", .serialized)
struct EmbedCommandTests {
    static func norm(_ values: [Double]) -> Double { values.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    @Test func jsonlTextsThenImages() throws {
        let out = try CLIRunner.run(["embed", "--model", CLIRunner.model, "--text", "a cat", "--text", "a dog",
                                     "images/a.png", "images/corrupt.png"])
        #expect(out.status == 0)
        let records = try CLIRunner.jsonLines(out.stdout)
        #expect(records.count == 4)
        #expect(records[0]["text"] as? String == "a cat" && records[1]["text"] as? String == "a dog")
        #expect(records[2]["path"] as? String == "images/a.png")
        for record in records.prefix(3) {
            let embedding = try #require(record["embedding"] as? [Double])
            #expect(embedding.count == 12)
            #expect(abs(Self.norm(embedding) - 1) < 1e-5)
        }
        #expect(records[3]["path"] as? String == "images/corrupt.png" && records[3]["error"] is String)
        #expect(out.stderr == "embedded 3, failed 1\n")
    }

    @Test func npyWithSidecar() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("clipkit-\(UUID().uuidString)")
        let npy = base.appendingPathExtension("npy")
        let txt = base.appendingPathExtension("txt")
        defer { try? FileManager.default.removeItem(at: npy); try? FileManager.default.removeItem(at: txt) }
        let out = try CLIRunner.run(["embed", "--model", CLIRunner.model, "--format", "npy", "-o", npy.path,
                                     "--text", "tab\there", "images"])
        #expect(out.status == 0)
        let data = try Data(contentsOf: npy)
        #expect(data.prefix(8) == Data([0x93] + Array("NUMPY".utf8) + [1, 0]))
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
        #expect(header.contains("'descr': '<f4'") && header.contains("'fortran_order': False") && header.contains("'shape': (4, 12)"))
        #expect((10 + headerLength) % 64 == 0 && header.hasSuffix("\n"))
        #expect(data.count == 10 + headerLength + 4 * 12 * 4)
        let floats = data[(10 + headerLength)...].withUnsafeBytes { raw in
            (0..<48).map { Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))) }
        }
        for row in 0..<4 { #expect(abs(Self.norm(Array(floats[row * 12..<(row + 1) * 12])) - 1) < 1e-5) }
        #expect(try String(contentsOf: txt, encoding: .utf8) == "text\ttab\\there\npath\timages/a.png\npath\timages/b.png\npath\timages/c.png\n")
        #expect(out.stderr.hasSuffix("embedded 4, failed 2\n"))
    }

    @Test func usageErrors() throws {
        #expect(try CLIRunner.run(["embed", "--model", CLIRunner.model]).status == 64)
        #expect(try CLIRunner.run(["embed", "--model", CLIRunner.model, "--format", "npy", "--text", "x"]).status == 64)
    }
}
