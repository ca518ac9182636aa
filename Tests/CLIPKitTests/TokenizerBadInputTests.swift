import Foundation
import Testing
@testable import CLIPKit

/// Truncated, garbage and huge-count tokenizer files give a `TokenizerError` naming the file, never a crash.
@Suite struct TokenizerBadInputTests {
    private static let siglipModel = try? Data(contentsOf: Fixtures.url("tokenizer/siglip/spiece.model"))
    private static let siglip2JSON = try? Data(contentsOf: Fixtures.url("tokenizer/siglip2/tokenizer.json"))

    private func folder(_ files: [String: Data]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("clipkit-badtok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, data) in files { try data.write(to: url.appendingPathComponent(name)) }
        return url
    }

    /// The error of loading a folder, which must be a TokenizerError.
    private func loadError(_ files: [String: Data]) throws -> TokenizerError? {
        let url = try folder(files)
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            _ = try TokenizerLoader.load(directory: url)
            return nil
        } catch let error as TokenizerError {
            return error
        }
    }

    private func modelError(_ bytes: [UInt8]) -> String? {
        do {
            _ = try SentencePieceProcessor(model: SentencePieceModel(serialized: bytes))
            return nil
        } catch {
            return error.description
        }
    }

    // MARK: spiece.model

    @Test func truncatedSentencePieceModelsFailCleanly() throws {
        let model = try #require(Self.siglipModel)
        var failures = 0
        for cut in stride(from: 0, to: model.count, by: max(1, model.count / 97)) {
            let error = try loadError(["spiece.model": model.prefix(cut)])
            guard case .malformedFile(let path, _)? = error else {
                Issue.record("cut at \(cut): \(String(describing: error))")
                continue
            }
            #expect(path.hasSuffix("spiece.model"))
            failures += 1
        }
        #expect(failures >= 90)
    }

    @Test func garbageSentencePieceModelsFailCleanly() throws {
        var generator = SeededGenerator(seed: 20)
        for length in [1, 2, 7, 100, 4096] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // Random bytes may happen to be a valid (if odd) model; what matters is no crash.
            if let error = try loadError(["spiece.model": Data(bytes)]) {
                guard case .malformedFile = error else { Issue.record("\(error)"); continue }
            }
        }
        let empty = try loadError(["spiece.model": Data()])
        #expect(empty?.errorDescription?.contains("no pieces") == true)
    }

    @Test func hugeLengthsAndCountsAreRefused() {
        // Field 1 (pieces), length-delimited, claiming 2^40 bytes.
        #expect(modelError([0x0A, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20])?.contains("claims") == true)
        // An 11-byte varint.
        #expect(modelError([0x08] + [UInt8](repeating: 0xFF, count: 10) + [0x01])?.contains("varint") == true)
        // Group wire types.
        #expect(modelError([0x0B])?.contains("wire type") == true)
        // A charsmap whose trie claims more bytes than the map has.
        let piece: [UInt8] = [0x0A, 0x09, 0x0A, 0x05] + Array("<unk>".utf8) + [0x18, 0x02]
        let charsMap: [UInt8] = [0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 0, 0]
        let normalizer: [UInt8] = [0x12, UInt8(charsMap.count)] + charsMap
        #expect(modelError(piece + [0x1A, UInt8(normalizer.count)] + normalizer)?.contains("trie size") == true)
    }

    @Test func modelsSentencePieceRefusesAreRefused() {
        func piece(_ text: String, type: UInt8) -> [UInt8] {
            let bytes = Array(text.utf8)
            let body = [0x0A, UInt8(bytes.count)] + bytes + [0x18, type]
            return [0x0A, UInt8(body.count)] + body
        }
        let unknown = piece("<unk>", type: 2)
        #expect(modelError(piece("a", type: 1))?.contains("no unknown piece") == true)
        #expect(modelError(unknown + piece("a", type: 1) + piece("a", type: 1))?.contains("twice") == true)
        #expect(modelError(unknown + piece("<0x41>", type: 6))?.contains("byte_fallback") == true)
        #expect(modelError(unknown + piece("a", type: 9))?.contains("unknown type") == true)
        #expect(modelError(unknown + [0x12, 0x02, 0x18, 0x02])?.contains("BPE") == true)
        #expect(modelError(unknown + piece("", type: 1))?.contains("empty") == true)
        #expect(modelError(unknown + piece("a", type: 1)) == nil)
    }

    @Test func corruptedCharsMapsNeverCrashEncoding() throws {
        let original = try #require(Self.siglipModel)
        let texts = ["a photo of a cat", "ＡＢＣ ÀÉ 猫 🐱 ﬁ ①", "\u{0}\u{7f}\u{85}\u{2028}", String(repeating: "é", count: 300)]
        let bytes = [UInt8](original)
        var generator = SeededGenerator(seed: 7)
        var loaded = 0
        for _ in 0..<40 {
            var mutated = bytes
            // The charsmap fills most of the file's end: scribble over it.
            for _ in 0..<64 {
                let index = Int.random(in: (bytes.count / 4)..<bytes.count, using: &generator)
                mutated[index] = UInt8.random(in: 0...255, using: &generator)
            }
            guard let model = try? SentencePieceModel(serialized: mutated),
                  let processor = try? SentencePieceProcessor(model: model) else { continue }
            loaded += 1
            for text in texts { _ = processor.encode(text) }
        }
        // The scribbles land inside the charsmap's bytes field, so every model still parses.
        #expect(loaded == 40)
    }

    // MARK: tokenizer.json

    private func pipelineError(_ json: String, className: String? = nil) -> TokenizerError? {
        do {
            _ = try TokenizerPipeline(json: Array(json.utf8), path: "t.json", configuration: nil, className: className)
            return nil
        } catch {
            return error
        }
    }

    @Test func truncatedAndGarbageTokenizerJSONFailCleanly() throws {
        let json = try #require(Self.siglip2JSON)
        for cut in stride(from: 0, to: json.count, by: max(1, json.count / 61)) {
            let error = try loadError(["tokenizer.json": json.prefix(cut)])
            guard case .malformedFile(let path, _)? = error else {
                Issue.record("cut at \(cut): \(String(describing: error))")
                continue
            }
            #expect(path.hasSuffix("tokenizer.json"))
        }
        #expect(pipelineError("[1, 2]") == .malformedFile(path: "t.json", reason: "it is not a JSON object"))
        #expect(pipelineError(String(repeating: "[", count: 10_000))?.errorDescription?.contains("nested deeper") == true)
        #expect(pipelineError("{\"model\": \"\\ud800\"}")?.errorDescription?.contains("surrogate") == true)
        #expect(pipelineError("{\"model\": 1e999}")?.errorDescription?.contains("out of range") == true)
    }

    @Test func unknownComponentsAreNamed() throws {
        let json = try #require(Self.siglip2JSON.flatMap { String(data: $0, encoding: .utf8) })
        func replacing(_ key: String, with value: String) throws -> String {
            var object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            object[key] = try JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        let cases: [(String, String, String, String)] = [
            ("normalizer", #"{"type": "BertNormalizer"}"#, "normalizer", "BertNormalizer"),
            ("normalizer", #"{"type": "Replace", "pattern": {"Regex": " +"}, "content": "x"}"#, "normalizer", "Replace with a Regex pattern"),
            ("pre_tokenizer", #"{"type": "ByteLevel"}"#, "pre_tokenizer", "ByteLevel"),
            ("pre_tokenizer", #"{"type": "Split", "pattern": {"Regex": "\\s"}, "behavior": "Isolated", "invert": false}"#, "pre_tokenizer", "Split with a Regex pattern"),
            ("post_processor", #"{"type": "RobertaProcessing"}"#, "post_processor", "RobertaProcessing"),
            ("model", #"{"type": "WordPiece", "vocab": {}}"#, "model", "WordPiece"),
        ]
        for (key, value, component, type) in cases {
            let error = pipelineError(try replacing(key, with: value))
            #expect(error == .unsupportedComponent(path: "t.json", component: component, type: type), "\(key): \(String(describing: error))")
        }
        let singleWord = try replacing("added_tokens", with: #"[{"id": 0, "content": "<pad>", "single_word": true}]"#)
        #expect(pipelineError(singleWord) == .unsupportedComponent(path: "t.json", component: "added token \"<pad>\"", type: "single_word"))
        let badMerge = try replacing("model", with: #"{"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}"#)
        #expect(pipelineError(badMerge)?.errorDescription?.contains("merge 0") == true)
        let hugeID = try replacing("model", with: #"{"type": "BPE", "vocab": {"a": 99999999999}, "merges": []}"#)
        #expect(pipelineError(hugeID)?.errorDescription?.contains("valid id") == true)
        let unigram = try replacing("model", with: #"{"type": "Unigram", "vocab": [["a", -1.0]], "unk_id": 5}"#)
        #expect(pipelineError(unigram)?.errorDescription?.contains("unk_id") == true)
        #expect(pipelineError(unigram, className: "GemmaTokenizer") != nil)
    }

    // MARK: The loader

    @Test func loaderNamesTheFolderAndTheReason() throws {
        let empty = try loadError([:])
        guard case .noTokenizer(let directory, let reason)? = empty else {
            Issue.record("\(String(describing: empty))")
            return
        }
        #expect(directory.contains("clipkit-badtok-"))
        #expect(reason.contains("spiece.model"))
        let bert = try loadError(["tokenizer_config.json": Data(#"{"tokenizer_class": "BertTokenizerFast"}"#.utf8)])
        #expect(bert?.errorDescription?.contains("\"BertTokenizer\"") == true)
        let missing = try loadError(["tokenizer_config.json": Data(#"{"tokenizer_class": "SiglipTokenizer"}"#.utf8)])
        #expect(missing?.errorDescription?.contains("needs spiece.model") == true)
        let badConfig = try loadError(["tokenizer_config.json": Data("{not json".utf8)])
        guard case .malformedFile(let path, _)? = badConfig else {
            Issue.record("\(String(describing: badConfig))")
            return
        }
        #expect(path.hasSuffix("tokenizer_config.json"))
        let badSide = try loadError(["tokenizer_config.json": Data(#"{"padding_side": "up"}"#.utf8)])
        #expect(badSide?.errorDescription?.contains("padding_side") == true)
    }

    @Test func loaderKeepsCLIPFoldersAsTheyWere() throws {
        let tokenizer = try TokenizerLoader.load(directory: Fixtures.url("models/tiny-clip"))
        let clip = try #require(tokenizer as? CLIPTokenizer)
        #expect(clip.encode("a photo of a cat", maxLength: 77).ids == clip.encode("a photo of a cat"))
        #expect(clip.encode(String(repeating: "cat ", count: 100), maxLength: 77).truncated)
        #expect(clip.paddingID == 49407 && clip.paddingSide == .right)
    }
}

/// A deterministic generator (SplitMix64), so that the "random" inputs are the same every run.
private struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
