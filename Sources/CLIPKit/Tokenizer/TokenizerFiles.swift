import Foundation

/// Reads and checks the Hugging Face tokenizer files `vocab.json` and `merges.txt`.
enum TokenizerFiles {
    /// The token → id map of `vocab.json`.
    static func readVocabulary(at url: URL) throws(TokenizerError) -> [String: Int] {
        let data = try read(url)
        let vocabulary: [String: Int]
        do {
            vocabulary = try JSONDecoder().decode([String: Int].self, from: data)
        } catch {
            throw .malformedVocabulary(path: url.path, reason: describe(error))
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
    /// A first line starting with `#version` is skipped, as are empty lines at the end of the
    /// file; every other line must be `left right`, and `left`, `right` and `leftright` must all
    /// be in the vocabulary (`tokenizers` refuses such files too).
    static func readMerges(at url: URL, vocabulary: [String: Int]) throws(TokenizerError) -> MergeTable {
        let data = try read(url)
        guard String(data: data, encoding: .utf8) != nil else {
            throw .unreadableFile(path: url.path, reason: "it is not valid UTF-8")
        }
        // Work on bytes: as Characters, "\r\n" and a space before a combining mark are single
        // grapheme clusters and would not split.
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        while let last = lines.last, last.isEmpty || last.elementsEqual([UInt8(ascii: "\r")]) {
            lines.removeLast()
        }
        var table = MergeTable(capacity: lines.count)
        var rank: UInt32 = 0
        for (offset, rawLine) in lines.enumerated() {
            let lineNumber = offset + 1
            let line = rawLine.last == UInt8(ascii: "\r") ? rawLine.dropLast() : rawLine
            if offset == 0 && line.starts(with: "#version".utf8) { continue }
            let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw .malformedMerge(path: url.path, line: lineNumber, text: String(decoding: line, as: UTF8.self))
            }
            let left = String(decoding: parts[0], as: UTF8.self)
            let right = String(decoding: parts[1], as: UTF8.self)
            let merged = left + right
            guard let leftID = vocabulary[left] else {
                throw .unknownMergeSymbol(path: url.path, line: lineNumber, symbol: left)
            }
            guard let rightID = vocabulary[right] else {
                throw .unknownMergeSymbol(path: url.path, line: lineNumber, symbol: right)
            }
            guard let mergedID = vocabulary[merged] else {
                throw .unknownMergeSymbol(path: url.path, line: lineNumber, symbol: merged)
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
            return try Data(contentsOf: url)
        } catch {
            throw .unreadableFile(path: url.path, reason: describe(error))
        }
    }

    private static func describe(_ error: any Error) -> String {
        if let decoding = error as? DecodingError {
            switch decoding {
            case .typeMismatch(_, let context), .valueNotFound(_, let context),
                .keyNotFound(_, let context), .dataCorrupted(let context):
                let path = context.codingPath.map(\.stringValue).joined(separator: ".")
                return path.isEmpty ? context.debugDescription
                    : "\(context.debugDescription) (at \(path.debugDescription))"
            @unknown default:
                return String(describing: decoding)
            }
        }
        return (error as NSError).localizedDescription
    }
}
