import Foundation
import Testing
@testable import CLIPKit

/// The tokenizer of the tiny-clip fixture folder (OpenAI's real vocabulary), loaded once.
private let fixtureTokenizer = Result {
    try CLIPTokenizer(directory: Fixtures.url("models/tiny-clip"))
}

private struct GoldenCases: Decodable {
    struct Case: Decodable {
        let text: String
        let ids: [Int]
    }
    let reference: String
    let cases: [Case]
}

private struct GoldenBatches: Decodable {
    struct Batch: Decodable {
        let texts: [String]
        let ids: [[Int]]
    }
    let reference: String
    let batches: [Batch]
}

private func decodeFixture<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
    try JSONDecoder().decode(type, from: Data(contentsOf: Fixtures.url(path)))
}

@Suite struct TokenizerGoldenTests {
    @Test func everyGoldenCaseMatchesHuggingFace() throws {
        let tokenizer = try fixtureTokenizer.get()
        let golden = try decodeFixture(GoldenCases.self, "tokenizer/cases.json")
        #expect(golden.cases.count >= 300)
        var mismatches = 0
        for golden in golden.cases {
            let ids = tokenizer.encode(golden.text)
            if ids != golden.ids {
                mismatches += 1
                Issue.record("\(golden.text.debugDescription): expected \(golden.ids), got \(ids)")
            }
        }
        #expect(mismatches == 0)
    }

    @Test func batchesArePaddedLikeHuggingFace() throws {
        let tokenizer = try fixtureTokenizer.get()
        let golden = try decodeFixture(GoldenBatches.self, "tokenizer/batch.json")
        #expect(golden.batches.count >= 2)
        for batch in golden.batches {
            #expect(tokenizer.encodeBatch(batch.texts) == batch.ids, "batch \(batch.texts.prefix(3))")
        }
        #expect(tokenizer.encodeBatch([]) == [])
    }

    @Test func idsCheckedInReference() throws {
        let tokenizer = try fixtureTokenizer.get()
        #expect(tokenizer.startOfTextID == 49406)
        #expect(tokenizer.endOfTextID == 49407)
        #expect(tokenizer.encode("A  Photo\tof the  CAT!!") == [49406, 320, 1125, 539, 518, 2368, 748, 49407])
        #expect(tokenizer.encode("It's a dog's life") == [49406, 585, 568, 320, 1929, 568, 970, 49407])
        #expect(tokenizer.encodeBatch(["a cat", "a photo of a big dog"]) == [
            [49406, 320, 2368, 49407, 49407, 49407, 49407, 49407],
            [49406, 320, 1125, 539, 320, 1205, 1929, 49407],
        ])
    }
}

@Suite struct TokenizerBehaviourTests {
    @Test(arguments: [(74, false), (75, false), (76, true), (500, true)])
    func truncationKeepsEndOfTextLast(words: Int, expectTruncated: Bool) throws {
        let tokenizer = try fixtureTokenizer.get()
        let text = Array(repeating: "cat", count: words).joined(separator: " ")
        let (ids, truncated) = tokenizer.encodeReportingTruncation(text)
        #expect(truncated == expectTruncated)
        #expect(ids.count == min(words, 75) + 2)
        #expect(ids.first == 49406)
        #expect(ids.last == 49407)
        #expect(ids.dropFirst().dropLast().allSatisfy { $0 == 2368 })  // "cat</w>"
    }

    @Test func oneHugeWordIsTruncatedToo() throws {
        let tokenizer = try fixtureTokenizer.get()
        let (ids, truncated) = tokenizer.encodeReportingTruncation(String(repeating: "xq", count: 5_000))
        #expect(truncated)
        #expect(ids.count == CLIPTokenizer.contextLength)
        #expect(ids.last == tokenizer.endOfTextID)
    }

    @Test func typedSpecialTokensMapToTheirIDs() throws {
        let tokenizer = try fixtureTokenizer.get()
        #expect(tokenizer.encode("a<|endoftext|>b") == [49406, 320, 49407, 321, 49407])
        #expect(tokenizer.encode("<|startoftext|>") == [49406, 49406, 49407])
        // Not the exact string: ordinary BPE, `<|`, `endof`, `text`, `|>`.
        #expect(tokenizer.encode("<|ENDOFTEXT|>") == [49406, 27, 347, 40786, 4160, 91, 285, 49407])
    }

    @Test func tokensAreVocabularyStrings() throws {
        let tokenizer = try fixtureTokenizer.get()
        #expect(tokenizer.tokens("A photo of a hippo!!") == ["a</w>", "photo</w>", "of</w>", "a</w>", "hippo</w>", "!!</w>"])
        #expect(tokenizer.tokens("") == [])
        #expect(tokenizer.tokens("x<|endoftext|>") == ["x</w>", "<|endoftext|>"])
    }

    @Test func encodingIsSafeFromManyTasks() async throws {
        let tokenizer = try fixtureTokenizer.get()
        let texts = (0..<200).map { "a photo of a \($0 % 7 == 0 ? "tench" : "goldfish") number \($0)" }
        let expected = texts.map(tokenizer.encode)
        let results = await withTaskGroup(of: [[Int]].self) { group in
            for _ in 0..<4 { group.addTask { texts.map(tokenizer.encode) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 4)
        #expect(results.allSatisfy { $0 == expected })
    }
}

@Suite struct TokenizerStageTests {
    @Test func byteTableIsABijection() {
        let scalars = ByteEncoder.scalars
        #expect(Set(scalars).count == 256)
        for byte in 0...255 {
            #expect(ByteEncoder.byte(for: scalars[byte]) == UInt8(byte))
        }
        #expect(scalars[Int(UInt8(ascii: "a"))] == "a")
        #expect(scalars[0x20] == "\u{120}")  // space is "Ġ", as in GPT-2
        #expect(ByteEncoder.byte(for: "\u{144}") == nil)
    }

    @Test(arguments: [
        ("a", PreTokenizer.Category.letter), ("ǅ", .letter), ("ʰ", .letter), ("猫", .letter),
        ("\u{301}", .other), ("\u{93F}", .other), ("٣", .number), ("Ⅻ", .number), ("½", .number),
        ("\u{A0}", .whitespace), ("\u{2028}", .whitespace), ("\u{85}", .whitespace),
        ("\u{200B}", .other), ("\u{1C}", .other), ("'", .other), ("🐱", .other),
    ] as [(Unicode.Scalar, PreTokenizer.Category)])
    func scalarCategoriesFollowUnicodeGeneralCategories(scalar: Unicode.Scalar, expected: PreTokenizer.Category) {
        #expect(PreTokenizer.category(of: scalar) == expected)
    }

    @Test func splitFollowsThePatternAlternatives() {
        func pieces(_ text: String) -> [String] {
            let bytes = Array(text.utf8)
            var ranges: [Range<Int>] = []
            bytes.withUnsafeBufferPointer { PreTokenizer.split($0, into: &ranges) }
            return ranges.map { String(decoding: bytes[$0], as: UTF8.self) }
        }
        #expect(pieces("it's a dog's") == ["it", "'s", "a", "dog", "'s"])
        #expect(pieces("'dog 'll 're 'x") == ["'d", "og", "'ll", "'re", "'", "x"])
        #expect(pieces("!!'s 42") == ["!!'", "s", "4", "2"])
        #expect(pieces("<|endoftext|>!") == ["<|", "endoftext", "|>", "!"])
        #expect(pieces("e\u{301}x") == ["e", "\u{301}", "x"])
        #expect(pieces(" \t\u{A0} ") == [])
        #expect(pieces("ǆemal猫\u{2003}٣٤ 🐱🐶!") == ["ǆemal猫", "٣", "٤", "🐱🐶!"])
    }

    @Test func normalizationIsNFCThenPerScalarLowercase() {
        func normalized(_ text: String) -> String {
            var bytes: [UInt8] = []
            Normalizer.normalize(text[...], into: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        }
        #expect(normalized("CAFE\u{301}").unicodeScalars.elementsEqual("caf\u{E9}".unicodeScalars))
        #expect(normalized("ΣΑΣ") == "σασ")  // no final-sigma rule
        #expect(normalized("İ").unicodeScalars.elementsEqual("i\u{307}".unicodeScalars))
        #expect(normalized("ǅ") == "ǆ")
        #expect(normalized("A Photo OF [X]") == "a photo of [x]")
    }

    @Test func heapAndScanningMergesAgree() throws {
        let files = try loadedEncoder()
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("aeiouthnrsl'!x".utf8) + [0xC3, 0xA9]
        for _ in 0..<300 {
            let length = Int.random(in: 1...120, using: &generator)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator) ?? 97 }
            var scanned = bytes.enumerated().map { files.byteIDs[Int($1) + ($0 == length - 1 ? 256 : 0)] }
            var heaped = scanned
            let scannedCount = scanned.withUnsafeMutableBufferPointer { files.mergeByScanning($0) }
            let heapedCount = heaped.withUnsafeMutableBufferPointer { files.mergeWithHeap($0) }
            #expect(Array(scanned[..<scannedCount]) == Array(heaped[..<heapedCount]), "\(bytes)")
        }
    }

    private func loadedEncoder() throws -> BytePairEncoder {
        let folder = Fixtures.url("models/tiny-clip")
        let vocabulary = try TokenizerFiles.readVocabulary(at: folder.appendingPathComponent("vocab.json"))
        let merges = try TokenizerFiles.readMerges(at: folder.appendingPathComponent("merges.txt"), vocabulary: vocabulary)
        var byteIDs = [Int32](repeating: -1, count: 512)
        for (byte, scalar) in ByteEncoder.scalars.enumerated() {
            byteIDs[byte] = Int32(vocabulary[String(scalar)] ?? -1)
            byteIDs[256 + byte] = Int32(vocabulary[String(scalar) + "</w>"] ?? -1)
        }
        return BytePairEncoder(merges: merges, byteIDs: byteIDs, unknownID: 49407)
    }
}
