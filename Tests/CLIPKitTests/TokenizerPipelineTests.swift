import Foundation
import Testing
@testable import CLIPKit

private struct PipelineGolden: Decodable {
    struct Case: Decodable {
        let text: String
        /// `padding="max_length", max_length=64, truncation=True`.
        let ids: [Int]
        /// `truncation=True, max_length=16`.
        let short: [Int]
        /// No truncation.
        let full: [Int]
    }
    struct Variant: Decodable {
        let paddingSide: String
        let cases: [Case]
        enum CodingKeys: String, CodingKey {
            case paddingSide = "padding_side", cases
        }
    }
    let reference: String
    let variants: [String: Variant]
}

/// A copy of the siglip2 fixture's tokenizer.json with a variant's tokenizer_config.json (none for
/// `tokenizers`, the fixture's own for `siglip2`).
private func variantFolder(_ name: String) throws -> URL {
    let source = Fixtures.url("tokenizer/siglip2")
    if name == "siglip2" { return source }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("clipkit-siglip2-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
        at: source.appendingPathComponent("tokenizer.json"), to: folder.appendingPathComponent("tokenizer.json"))
    let raw = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("cases.json")))
    if let variants = (raw as? [String: Any])?["variants"] as? [String: Any],
       let config = (variants[name] as? [String: Any])?["config"] as? [String: Any] {
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("tokenizer_config.json"))
    }
    return folder
}

/// The tokenizer of ``variantFolder(_:)``, loaded before the copy is removed.
private func loadVariant(_ name: String) throws -> any TextTokenizer {
    let folder = try variantFolder(name)
    defer { if name != "siglip2" { try? FileManager.default.removeItem(at: folder) } }
    return try TokenizerLoader.load(directory: folder)
}

@Suite struct TokenizerPipelineTests {
    @Test(arguments: ["siglip2", "gemma_eos", "gemma_plain", "tokenizers"])
    func everyGoldenCaseMatches(variant name: String) throws {
        let golden = try JSONDecoder().decode(
            PipelineGolden.self, from: Data(contentsOf: Fixtures.url("tokenizer/siglip2/cases.json")))
        let variant = try #require(golden.variants[name])
        #expect(variant.cases.count >= 150)
        let tokenizer = try loadVariant(name)
        #expect(tokenizer is TokenizerPipeline)
        #expect(tokenizer.paddingSide.rawValue == variant.paddingSide)
        #expect(tokenizer.paddingID == 0)
        var mismatches: [String] = []
        for item in variant.cases {
            let encoded = tokenizer.encode(item.text, maxLength: 64)
            let padding = [Int](repeating: tokenizer.paddingID, count: max(0, 64 - encoded.ids.count))
            let ids = tokenizer.paddingSide == .right ? encoded.ids + padding : padding + encoded.ids
            let short = tokenizer.encode(item.text, maxLength: 16).ids
            let full = tokenizer.encode(item.text, maxLength: .max)
            if ids != item.ids || short != item.short || full.ids != item.full {
                mismatches.append("\(item.text.debugDescription): \(full.ids) expected \(item.full)")
            }
            #expect(encoded.truncated == (item.full.count > 64))
        }
        #expect(mismatches.isEmpty, "\(name): \(mismatches.count) mismatches, first: \(mismatches.prefix(4))")
    }

    /// A tokenizers Unigram file (NFKC + Lowercase, Metaspace "first", `$A </s>`), run as it is.
    @Test func unigramGoldenCasesMatchTokenizers() throws {
        struct Golden: Decodable { let cases: [PipelineGolden.Case] }
        let golden = try JSONDecoder().decode(
            Golden.self, from: Data(contentsOf: Fixtures.url("tokenizer/unigram/cases.json")))
        #expect(golden.cases.count >= 150)
        let tokenizer = try TokenizerLoader.load(directory: Fixtures.url("tokenizer/unigram"))
        #expect(tokenizer.paddingID == 0 && tokenizer.paddingSide == .right)
        var mismatches: [String] = []
        for item in golden.cases {
            let encoded = tokenizer.encode(item.text, maxLength: 64)
            let ids = encoded.ids + [Int](repeating: 0, count: max(0, 64 - encoded.ids.count))
            let short = tokenizer.encode(item.text, maxLength: 16).ids
            let full = tokenizer.encode(item.text, maxLength: .max).ids
            if ids != item.ids || short != item.short || full != item.full {
                mismatches.append("\(item.text.debugDescription): \(full) expected \(item.full)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(4))")
    }

    @Test func siglip2LowerCasesAndGemmaDoesNot() throws {
        let siglip2 = try loadVariant("siglip2")
        let gemma = try loadVariant("gemma_plain")
        #expect(siglip2.encode("This", maxLength: 64) == siglip2.encode("this", maxLength: 64))
        #expect(gemma.encode("This", maxLength: 64) != gemma.encode("this", maxLength: 64))
    }
}
