import Foundation

/// What an earlier, interrupted run left in its output file, for `--resume`.
///
/// Every complete record names its input (`path`, or `text` for `embed`); those inputs are
/// skipped and the new records appended. A last line without its line end is what a killed
/// process leaves: it is cut off the file first, so readers never see a torn record.
struct ResumeLog {
    /// Inputs (paths) already recorded, failures included: a resumed run never repeats one.
    var paths: Set<String> = []
    /// Texts already recorded (`embed`).
    var texts: Set<String> = []
    /// The file's first CSV row, when the file is CSV and has one.
    var csvHeader: [String]?
    /// Whether the file holds at least one complete record (or header).
    var hasContent = false
    /// Bytes of a torn last line that were cut off.
    var droppedBytes = 0

    /// `, N already recorded` for the summary line when resuming, else empty.
    var summary: String {
        let count = paths.count + texts.count
        return hasContent ? ", \(count) already recorded" : ""
    }

    /// Reads `path` (a missing file is an empty log) and cuts a torn last line off it.
    static func load(path: String, csv: Bool) throws -> ResumeLog {
        guard FileManager.default.fileExists(atPath: path) else { return ResumeLog() }
        guard let handle = FileHandle(forUpdatingAtPath: path) else {
            throw CLIError("cannot open \(path) to resume")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.readToEnd() ?? Data()
        } catch {
            throw CLIError("cannot read \(path) to resume: \(describe(error))")
        }
        var log = ResumeLog()
        let kept = csv ? try log.readCSV(data, path: path) : try log.readJSONLines(data, path: path)
        if kept < data.count {
            log.droppedBytes = data.count - kept
            do {
                try handle.truncate(atOffset: UInt64(kept))
            } catch {
                throw CLIError("cannot cut the torn last line off \(path): \(describe(error))")
            }
        }
        log.hasContent = kept > 0
        return log
    }

    /// Records are lines; returns the length of the complete ones.
    private mutating func readJSONLines(_ data: Data, path: String) throws -> Int {
        var kept = 0
        var lineNumber = 0
        var start = data.startIndex
        while let end = data[start...].firstIndex(of: UInt8(ascii: "\n")) {
            lineNumber += 1
            let line = data[start..<end]
            if !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) {
                guard let (key, value) = Self.leadingKey(of: line) else {
                    throw CLIError("\(path):\(lineNumber) is not a clipkit record; cannot resume")
                }
                if key == "text" { texts.insert(value) } else { paths.insert(value) }
            }
            start = data.index(after: end)
            kept = start - data.startIndex
        }
        return kept
    }

    /// `{"path": "…"` or `{"text": "…"` at the start of a record: the key and its string,
    /// without decoding the rest (an embedding record is long).
    static func leadingKey(of line: Data) -> (String, String)? {
        let bytes = Array(line)
        for key in ["path", "text"] {
            let prefix = Array("{\"\(key)\": \"".utf8)
            guard bytes.starts(with: prefix) else { continue }
            var i = prefix.count
            while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1
            }
            guard i < bytes.count else { return nil }
            let literal = Data(bytes[(prefix.count - 1)...i])
            guard let value = try? JSONDecoder().decode(String.self, from: literal) else { return nil }
            return (key, value)
        }
        return nil
    }

    /// RFC 4180 records (quoted fields may hold line breaks); the first is the header, the
    /// first field of each later one the path. Returns the length of the complete records.
    private mutating func readCSV(_ data: Data, path: String) throws -> Int {
        var kept = 0
        var fields: [String] = []
        var field = [UInt8]()
        var quoted = false
        var i = data.startIndex
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }
        while i < data.endIndex {
            let byte = data[i]
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    let next = data.index(after: i)
                    if next < data.endIndex, data[next] == UInt8(ascii: "\"") {
                        field.append(byte)
                        i = next
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(byte)
                }
            } else if byte == UInt8(ascii: "\"") {
                quoted = true
            } else if byte == UInt8(ascii: ",") {
                endField()
            } else if byte == UInt8(ascii: "\n") {
                if field.last == 0x0D { field.removeLast() }
                endField()
                if csvHeader == nil { csvHeader = fields } else if let first = fields.first { paths.insert(first) }
                fields.removeAll()
                kept = data.index(after: i) - data.startIndex
            } else {
                field.append(byte)
            }
            i = data.index(after: i)
        }
        return kept
    }
}
