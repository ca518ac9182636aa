import ArgumentParser
import Foundation

/// Candidate labels from a UTF-8 file: one per line, surrounding whitespace trimmed, blank lines
/// and lines starting with "#" ignored. A byte-order mark and CRLF line ends are accepted.
enum LabelsFile {
    static func labels(atPath path: String) throws -> [String] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ValidationError("cannot read labels file \(path)")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw ValidationError("labels file \(path) is not valid UTF-8")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return parse(text)
    }

    static func parse(_ text: String) -> [String] {
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }
}
