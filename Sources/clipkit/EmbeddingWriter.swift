import ArgumentParser
import Foundation

/// Output formats of `embed`.
enum EmbeddingFormat: String, ExpressibleByArgument, CaseIterable {
    case jsonl, npy
}

/// What an embedding row is of.
enum EmbeddingSource {
    case text(String)
    case path(String)
}

/// Writes `embed` rows as they arrive.
protocol EmbeddingWriter {
    mutating func write(_ source: EmbeddingSource, embedding: [Float]) throws
    /// An input that could not be embedded.
    mutating func writeFailure(path: String, message: String) throws
    mutating func finish() throws
}

/// `{"text": ..., "embedding": [...]}` / `{"path": ..., "embedding": [...]}` per line;
/// an unreadable image gives `{"path": ..., "error": ...}`.
struct JSONLEmbeddingWriter: EmbeddingWriter {
    let sink: OutputSink

    mutating func write(_ source: EmbeddingSource, embedding: [Float]) throws {
        let key: String
        switch source {
        case .text(let text): key = "\"text\": " + JSONText.string(text)
        case .path(let path): key = "\"path\": " + JSONText.string(path)
        }
        try sink.write("{\(key), \"embedding\": [\(embedding.map(JSONText.number).joined(separator: ", "))]}\n")
    }

    mutating func writeFailure(path: String, message: String) throws {
        try sink.write("{\"path\": \(JSONText.string(path)), \"error\": \(JSONText.string(message))}\n")
    }

    mutating func finish() throws { try sink.close() }
}

/// A float32 little-endian `.npy` array [rows, width] (NumPy format 1.0), rows streamed to the
/// file and the shape patched into the header at the end; plus a sidecar text file naming each
/// row as `text<TAB>…` or `path<TAB>…` (tab, newline and backslash escaped as \t, \n, \\).
/// Failed inputs have no row.
struct NPYEmbeddingWriter: EmbeddingWriter {
    let sink: OutputSink
    let names: OutputSink
    let width: Int
    private var rows = 0
    /// Header bytes reserved so any row count fits when the shape is patched in.
    static let headerLength = 128

    init(path: String, width: Int) throws {
        sink = try OutputSink(path: path)
        names = try OutputSink(path: Self.sidecarPath(for: path))
        self.width = width
        try sink.write(Self.header(rows: 0, width: width))
    }

    /// `x.npy` → `x.txt`; any other name gets `.txt` appended.
    static func sidecarPath(for path: String) -> String {
        path.hasSuffix(".npy") ? String(path.dropLast(4)) + ".txt" : path + ".txt"
    }

    static func header(rows: Int, width: Int) -> Data {
        var dictionary = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(width)), }"
        let prefix = 10  // magic (6) + version (2) + header length (2)
        dictionary += String(repeating: " ", count: headerLength - prefix - dictionary.utf8.count - 1) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(headerLength - prefix)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: dictionary.utf8)
        return data
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\t", with: "\\t")
            .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
    }

    mutating func write(_ source: EmbeddingSource, embedding: [Float]) throws {
        switch source {
        case .text(let text): try names.write("text\t" + Self.escape(text) + "\n")
        case .path(let path): try names.write("path\t" + Self.escape(path) + "\n")
        }
        var data = Data(capacity: embedding.count * 4)
        for x in embedding { withUnsafeBytes(of: x.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        try sink.write(data)
        rows += 1
    }

    mutating func writeFailure(path: String, message: String) throws {}

    mutating func finish() throws {
        try sink.overwrite(at: 0, with: Self.header(rows: rows, width: width))
        try sink.close()
        try names.close()
    }
}
