import Foundation
import Testing
@testable import CLIPKit

/// Half-precision token tables are read in place and widened row by row, exactly as the
/// up-front conversion would.
@Suite struct EmbeddingTableTests {
    @Test(arguments: ["tiny-clip", "tiny-clip-f16", "tiny-clip-gelu-bf16"])
    func rowsEqualTheConvertedTable(modelName: String) throws {
        let file = try SafeTensorsFile(url: Fixtures.url("models/\(modelName)/model.safetensors"))
        let key = "text_model.embeddings.token_embedding.weight"
        let entry = try #require(file.entries[key])
        let (rows, width) = (entry.shape[0], entry.shape[1])
        let table = try EmbeddingTable(WeightLoader(file: file).root.scoped("text_model.embeddings.token_embedding"),
                                       rows: rows, width: width)
        let converted = try file.floats(of: key)
        let addend = (0..<width).map { Float($0) * 0.25 - 1 }
        var out = [Float](repeating: .nan, count: width)
        for row in [0, 1, 320, 49406, rows - 1] where row < rows {
            table.add(row: row, to: addend, into: &out)
            let expected = (0..<width).map { converted.pointer[row * width + $0] + addend[$0] }
            #expect(out == expected, "row \(row) of \(entry.dtype)")
        }
    }
}
