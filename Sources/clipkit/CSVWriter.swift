import Foundation
import CLIPKit

/// `csv`: a header `path,label,score,<label 1>,<label 2>...` (labels in the order given), then
/// one row per input with every label's score; an unreadable input has empty fields after its
/// path (the reason goes to standard error). RFC 4180: CRLF line ends, fields with a comma,
/// quote, line break or surrounding space quoted, quotes doubled.
struct CSVWriter: ClassificationWriter {
    let sink: OutputSink
    private var labels: [String] = []

    init(sink: OutputSink) { self.sink = sink }

    mutating func begin(labels: [String]) throws {
        self.labels = labels
        try sink.write(Self.row(Self.header(labels: labels)))
    }

    /// The header row's fields.
    static func header(labels: [String]) -> [String] { ["path", "label", "score"] + labels }

    mutating func write(_ record: ClassificationRecord) throws {
        switch record.result {
        case .success(let classification):
            let scores = Dictionary(uniqueKeysWithValues: classification.scores.map { ($0.label, $0.score) })
            try sink.write(Self.row([record.input.path, classification.label, JSONText.number(classification.score)]
                                    + labels.map { scores[$0].map(JSONText.number) ?? "" }))
        case .failure:
            try sink.write(Self.row([record.input.path] + Array(repeating: "", count: labels.count + 2)))
        }
    }

    mutating func finish() throws {}

    static func row(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    static func field(_ s: String) -> String {
        let needsQuotes = s.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline })
            || s.first?.isWhitespace == true || s.last?.isWhitespace == true
        return needsQuotes ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
