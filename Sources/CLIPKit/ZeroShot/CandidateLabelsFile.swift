import Foundation

/// The labels-file format of `clipkit classify --labels-file`: UTF-8 text, one label per line,
/// surrounding whitespace trimmed, blank lines and lines starting with "#" ignored; a
/// byte-order mark and CRLF line ends are accepted.
public enum CandidateLabelsFile {
    /// The labels in a file's bytes, or `nil` when they are not valid UTF-8.
    public static func labels(in data: Data) -> [String]? {
        guard var text = String(data: data, encoding: .utf8) else { return nil }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return labels(inText: text)
    }

    /// The labels in already-decoded text.
    public static func labels(inText text: String) -> [String] {
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }
}
