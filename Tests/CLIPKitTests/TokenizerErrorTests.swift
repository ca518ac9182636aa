import Foundation
import Testing
@testable import CLIPKit

/// Malformed tokenizer files give a `TokenizerError` naming the file (and line).
@Suite struct TokenizerErrorTests {
    /// A small valid vocabulary: byte characters for "a", "b", "c", their merges, and specials.
    private static let validVocabulary = """
        {"a":0,"b":1,"c":2,"a</w>":3,"b</w>":4,"c</w>":5,"ab":6,"ab</w>":7,\
        "<|startoftext|>":8,"<|endoftext|>":9}
        """
    private static let validMerges = "#version: 0.2\na b\na b</w>\n"

    /// Writes the two files into a fresh folder and loads them.
    private func load(vocabulary: String, merges: String) throws -> (CLIPTokenizer, URL) {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("clipkit-tokenizer-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(vocabulary.utf8).write(to: folder.appendingPathComponent("vocab.json"))
        try Data(merges.utf8).write(to: folder.appendingPathComponent("merges.txt"))
        defer { try? FileManager.default.removeItem(at: folder) }
        return (try CLIPTokenizer(directory: folder), folder)
    }

    private func loadError(vocabulary: String = validVocabulary, merges: String = validMerges) -> TokenizerError? {
        do {
            _ = try load(vocabulary: vocabulary, merges: merges)
            return nil
        } catch let error as TokenizerError {
            return error
        } catch {
            return nil
        }
    }

    @Test func validSmallFilesLoadAndUnknownBytesBecomeEndOfText() throws {
        let (tokenizer, _) = try load(vocabulary: Self.validVocabulary, merges: Self.validMerges)
        #expect(tokenizer.startOfTextID == 8)
        #expect(tokenizer.endOfTextID == 9)
        #expect(tokenizer.encode("ab abc") == [8, 7, 6, 5, 9])
        // "z" is not in this vocabulary: unknown, one id per symbol (no fusing).
        #expect(tokenizer.encode("zz a") == [8, 9, 9, 3, 9])
    }

    @Test func missingFileIsUnreadable() throws {
        let folder = URL(fileURLWithPath: "/nonexistent-clipkit-\(UUID().uuidString)")
        #expect {
            try CLIPTokenizer(directory: folder)
        } throws: { error in
            guard case TokenizerError.unreadableFile(let path, _) = error else { return false }
            return path.hasSuffix("vocab.json")
        }
    }

    @Test func vocabularyThatIsNotJSON() throws {
        let error = try #require(loadError(vocabulary: "{not json"))
        guard case .malformedVocabulary(let path, _) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(path.hasSuffix("vocab.json"))
        #expect(error.errorDescription?.contains("vocab.json") == true)
    }

    @Test func vocabularyWithNonIntegerIDs() throws {
        let error = try #require(loadError(vocabulary: #"{"a": "zero", "<|startoftext|>": 1, "<|endoftext|>": 2}"#))
        guard case .malformedVocabulary = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(self.loadError(vocabulary: "[1, 2, 3]").map { if case .malformedVocabulary = $0 { true } else { false } } == true)
        #expect(self.loadError(vocabulary: "{}").map { if case .malformedVocabulary = $0 { true } else { false } } == true)
    }

    @Test func vocabularyWithNegativeID() throws {
        let error = try #require(loadError(vocabulary: #"{"a": -1, "<|startoftext|>": 1, "<|endoftext|>": 2}"#))
        #expect(error == .tokenIDOutOfRange(path: pathOf(error), token: "a", id: -1))
    }

    @Test func vocabularyWithoutSpecialTokens() throws {
        let error = try #require(loadError(vocabulary: #"{"a": 0, "<|startoftext|>": 1}"#, merges: "#version: 0.2\n"))
        #expect(error == .missingSpecialToken(path: pathOf(error), token: "<|endoftext|>"))
    }

    @Test(arguments: [
        ("#version: 0.2\na b\nab\n", 3, "ab"),
        ("#version: 0.2\na  b\n", 2, "a  b"),
        ("#version: 0.2\na b c\n", 2, "a b c"),
        ("#version: 0.2\n\na b\n", 2, ""),
    ])
    func malformedMergeLineNamesFileAndLine(merges: String, line: Int, text: String) throws {
        let error = try #require(loadError(merges: merges))
        #expect(error == .malformedMerge(path: pathOf(error), line: line, text: text))
        #expect(pathOf(error).hasSuffix("merges.txt"))
        #expect(error.errorDescription?.contains("merges.txt:\(line)") == true)
    }

    @Test(arguments: [
        ("#version: 0.2\na b\nx b\n", 3, "x"),
        ("#version: 0.2\nb c\n", 2, "bc"),
        ("a q\n", 1, "q"),
    ])
    func mergeWithUnknownSymbol(merges: String, line: Int, symbol: String) throws {
        let error = try #require(loadError(merges: merges))
        #expect(error == .unknownMergeSymbol(path: pathOf(error), line: line, symbol: symbol))
    }

    @Test func mergesThatAreNotUTF8() throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("clipkit-tokenizer-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(Self.validVocabulary.utf8).write(to: folder.appendingPathComponent("vocab.json"))
        try Data([0x61, 0x20, 0xFF, 0x0A]).write(to: folder.appendingPathComponent("merges.txt"))
        #expect {
            try CLIPTokenizer(directory: folder)
        } throws: { error in
            guard case TokenizerError.unreadableFile(let path, _) = error else { return false }
            return path.hasSuffix("merges.txt")
        }
    }

    @Test func headerLinesAnywhereAndNoHeaderAreAccepted() throws {
        // As transformers 5.23 / tokenizers 0.23.3 (checked): "#version" lines are skipped anywhere.
        let (tokenizer, _) = try load(vocabulary: Self.validVocabulary, merges: "a b\n#version: 0.2\n")
        #expect(tokenizer.encode("ab abc zz a") == [8, 0, 4, 6, 5, 9, 9, 3, 9])
    }

    @Test func windowsLineEndingsAreAccepted() throws {
        let (tokenizer, _) = try load(vocabulary: Self.validVocabulary, merges: "#version: 0.2\r\na b\r\na b</w>\r\n")
        #expect(tokenizer.encode("ab") == [8, 7, 9])
    }

    private func pathOf(_ error: TokenizerError) -> String {
        switch error {
        case .unreadableFile(let path, _), .malformedVocabulary(let path, _),
            .tokenIDOutOfRange(let path, _, _), .malformedMerge(let path, _, _),
            .unknownMergeSymbol(let path, _, _), .missingSpecialToken(let path, _), .malformedFile(let path, _),
            .unsupportedComponent(let path, _, _), .unsupportedTokenizer(let path, _), .noTokenizer(let path, _):
            return path
        }
    }
}
