import Foundation

/// Reads and checks the Hugging Face tokenizer files `vocab.json` and `merges.txt`.
enum TokenizerFiles {
    /// The token → id map of `vocab.json`.
    static func readVocabulary(at url: URL) throws(TokenizerError) -> [String: Int] {
        let data = try read(url)
        // `withUnsafeBytes` only rethrows untyped errors, so the result comes out as a value.
        let parsed = data.withUnsafeBytes { raw in
            Result { () throws(VocabularyJSON.SyntaxError) in
                try VocabularyJSON.parse(raw.bindMemory(to: UInt8.self))
            }
        }
        let vocabulary: [String: Int]
        switch parsed {
        case .success(let value): vocabulary = value
        case .failure(let error): throw .malformedVocabulary(path: url.path, reason: error.description)
        }
        guard !vocabulary.isEmpty else {
            throw .malformedVocabulary(path: url.path, reason: "it has no tokens")
        }
        for (token, id) in vocabulary where id < 0 || id > Int(Int32.max) {
            throw .tokenIDOutOfRange(path: url.path, token: token, id: id)
        }
        return vocabulary
    }

    /// The merges of `merges.txt`, ranked by line order, as a table over `vocabulary` ids.
    ///
    /// Lines starting with `#version` are skipped (anywhere, as `tokenizers` does), and so are
    /// empty lines at the end of the file; every other line must be `left right`, and `left`,
    /// `right` and `leftright` must all be in the vocabulary (`tokenizers` refuses such files too).
    static func readMerges(at url: URL, vocabulary: [String: Int]) throws(TokenizerError) -> MergeTable {
        let data = try read(url)
        guard String(data: data, encoding: .utf8) != nil else {
            throw .unreadableFile(path: url.path, reason: "it is not valid UTF-8")
        }
        // Work on bytes: as Characters, "\r\n" and a space before a combining mark are single
        // grapheme clusters and would not split.
        let table = data.withUnsafeBytes { raw in Result { () throws(TokenizerError) -> MergeTable in
            let bytes = raw.bindMemory(to: UInt8.self)
            var lines: [Range<Int>] = []
            var lineStart = 0
            for index in 0..<bytes.count where bytes[index] == UInt8(ascii: "\n") {
                lines.append(lineStart..<index)
                lineStart = index + 1
            }
            lines.append(lineStart..<bytes.count)
            for (offset, range) in lines.enumerated() where bytes[range].last == UInt8(ascii: "\r") {
                lines[offset] = range.lowerBound..<range.upperBound - 1
            }
            while let last = lines.last, last.isEmpty { lines.removeLast() }
            return try mergeTable(lines: lines, of: bytes, path: url.path, vocabulary: vocabulary)
        } }
        return try table.get()
    }

    private static func mergeTable(
        lines: [Range<Int>], of bytes: UnsafeBufferPointer<UInt8>, path: String, vocabulary: [String: Int]
    ) throws(TokenizerError) -> MergeTable {
        var table = MergeTable(capacity: lines.count)
        var rank: UInt32 = 0
        for (offset, range) in lines.enumerated() {
            let lineNumber = offset + 1
            let line = UnsafeBufferPointer(rebasing: bytes[range])
            // `tokenizers` skips such a header line wherever it appears.
            if line.starts(with: "#version".utf8) { continue }
            let space = line.firstIndex(of: UInt8(ascii: " ")) ?? 0
            guard space > 0, space < line.count - 1, !line[(space + 1)...].contains(UInt8(ascii: " ")) else {
                throw .malformedMerge(path: path, line: lineNumber, text: String(decoding: line, as: UTF8.self))
            }
            let left = String(decoding: UnsafeBufferPointer(rebasing: line[..<space]), as: UTF8.self)
            let right = String(decoding: UnsafeBufferPointer(rebasing: line[(space + 1)...]), as: UTF8.self)
            let merged = left + right
            guard let leftID = vocabulary[left] else {
                throw .unknownMergeSymbol(path: path, line: lineNumber, symbol: left)
            }
            guard let rightID = vocabulary[right] else {
                throw .unknownMergeSymbol(path: path, line: lineNumber, symbol: right)
            }
            guard let mergedID = vocabulary[merged] else {
                throw .unknownMergeSymbol(path: path, line: lineNumber, symbol: merged)
            }
            // Ids were range-checked when the vocabulary was read.
            table.insert(
                left: Int32(leftID), right: Int32(rightID), rank: rank, merged: Int32(mergedID))
            rank += 1
        }
        return table
    }

    private static func read(_ url: URL) throws(TokenizerError) -> Data {
        do {
            return try FileBytes.read(url)
        } catch {
            throw .unreadableFile(path: url.path, reason: describe(error))
        }
    }

    private static func describe(_ error: any Error) -> String {
        (error as NSError).localizedDescription
    }
}
