import Foundation
import Testing
@testable import CLIPKit

/// The SentencePiece fixture folder (`scripts/fixtures/siglip_tokenizer.py`), loaded once.
private let siglipTokenizer = Result { try SiglipTokenizer(directory: Fixtures.url("tokenizer/siglip")) }

private struct SiglipGolden: Decodable {
    struct Case: Decodable {
        let text: String
        /// `padding="max_length", max_length=64, truncation=True`.
        let ids: [Int]
        /// `truncation=True, max_length=16`.
        let short: [Int]
        /// No truncation.
        let full: [Int]
        /// No truncation, `legacy: false` in tokenizer_config.json.
        let nolegacy: [Int]
        /// No truncation, `do_lower_case: false`.
        let cased: [Int]
    }
    let reference: String
    let cases: [Case]
}

/// Pads `ids` to `length` as transformers' `padding="max_length"` does.
private func padded(_ ids: [Int], to length: Int, with id: Int, side: PaddingSide) -> [Int] {
    let padding = [Int](repeating: id, count: max(0, length - ids.count))
    return side == .right ? ids + padding : padding + ids
}

@Suite struct SiglipTokenizerTests {
    @Test func everyGoldenCaseMatchesTransformers() throws {
        let tokenizer = try siglipTokenizer.get()
        let golden = try JSONDecoder().decode(
            SiglipGolden.self, from: Data(contentsOf: Fixtures.url("tokenizer/siglip/cases.json")))
        #expect(golden.cases.count >= 150)
        var mismatches: [String] = []
        for item in golden.cases {
            let encoded = tokenizer.encode(item.text, maxLength: 64)
            let ids = padded(encoded.ids, to: 64, with: tokenizer.paddingID, side: tokenizer.paddingSide)
            let short = tokenizer.encode(item.text, maxLength: 16).ids
            let full = tokenizer.encode(item.text, maxLength: .max)
            if ids != item.ids || short != item.short || full.ids != item.full {
                mismatches.append("\(item.text.debugDescription): \(full.ids) expected \(item.full)")
            }
            // A typed `</s>` at the very end is cut and added back: transformers truncates there too.
            #expect(encoded.truncated == (item.full.count > 64) || item.text.hasSuffix("</s>"))
            #expect(!full.truncated)
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(5))")
    }

    @Test(arguments: [("nolegacy", "legacy", false), ("cased", "do_lower_case", false)])
    func configurationVariantsMatchTransformers(variant: String, key: String, value: Bool) throws {
        let source = Fixtures.url("tokenizer/siglip")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("clipkit-siglip-\(variant)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: source.appendingPathComponent("spiece.model"), to: folder.appendingPathComponent("spiece.model"))
        var config = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("tokenizer_config.json"))) as? [String: Any])
        config[key] = value
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("tokenizer_config.json"))
        let tokenizer = try SiglipTokenizer(directory: folder)
        let golden = try JSONDecoder().decode(
            SiglipGolden.self, from: Data(contentsOf: Fixtures.url("tokenizer/siglip/cases.json")))
        var mismatches: [String] = []
        for item in golden.cases {
            let expected = variant == "cased" ? item.cased : item.nolegacy
            let ids = tokenizer.encode(item.text, maxLength: .max).ids
            if ids != expected { mismatches.append("\(item.text.debugDescription): \(ids) expected \(expected)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(4))")
        #expect(tokenizer.lowercases == (variant != "cased"))
    }

    @Test func specialIDsComeFromTheFolder() throws {
        let tokenizer = try siglipTokenizer.get()
        #expect(tokenizer.endOfSequenceID == 1)
        #expect(tokenizer.unknownID == 2)
        #expect(tokenizer.paddingID == 1)
        #expect(tokenizer.paddingSide == .right)
        #expect(tokenizer.lowercases)
    }

    @Test func truncationKeepsEndOfSequenceLast() throws {
        let tokenizer = try siglipTokenizer.get()
        let long = String(repeating: "cat ", count: 100)
        for length in [1, 2, 5, 64] {
            let encoded = tokenizer.encode(long, maxLength: length)
            #expect(encoded.ids.count == length)
            #expect(encoded.ids.last == tokenizer.endOfSequenceID)
            #expect(encoded.truncated)
        }
        #expect(tokenizer.encode("", maxLength: 64) == TokenizedText(ids: [1], truncated: false))
    }

    @Test func loaderPicksTheSentencePieceTokenizer() throws {
        let tokenizer = try TokenizerLoader.load(directory: Fixtures.url("tokenizer/siglip"))
        #expect(tokenizer is SiglipTokenizer)
        #expect(tokenizer.encode("a photo of a cat", maxLength: 64).ids == [162, 3, 56, 162, 20, 1])
    }
}
