import Foundation
import CLIPKit

/// `csv`: a header `path,label,score,<label 1>,<label 2>...` (labels in the order given), then
/// one row per input with every label's score; an unreadable input has empty fields after its
/// path (the reason goes to standard error). RFC 4180: CRLF line ends, fields with a comma,
/// quote, line break or surrounding space quoted, quotes doubled. With a multi-label threshold
/// a `labels` column follows `score`: the labels scoring at least the threshold, best first,
/// separated by `|` (empty when none does).
struct CSVWriter: ClassificationWriter {
    let sink: OutputSink
    let multiLabelThreshold: Float?
    private var labels: [String] = []

    init(sink: OutputSink, multiLabelThreshold: Float? = nil) {
        self.sink = sink
        self.multiLabelThreshold = multiLabelThreshold
    }

    mutating func begin(labels: [String]) throws {
        self.labels = labels
        try sink.write(Self.row(Self.header(labels: labels, multiLabel: multiLabelThreshold != nil)))
    }

    /// The header row's fields; `multiLabel` adds the selected-labels column.
    static func header(labels: [String], multiLabel: Bool = false) -> [String] {
        ["path", "label", "score"] + (multiLabel ? ["labels"] : []) + labels
    }

    mutating func write(_ record: ClassificationRecord) throws {
        switch record.result {
        case .success(let classification):
            let scores = Dictionary(uniqueKeysWithValues: classification.scores.map { ($0.label, $0.score) })
            let selected = multiLabelThreshold.map { [classification.labels(scoringAtLeast: $0).map(\.label).joined(separator: "|")] } ?? []
            try sink.write(Self.row([record.input.path, classification.label, JSONText.number(classification.score)]
                                    + selected + labels.map { scores[$0].map(JSONText.number) ?? "" }))
        case .failure:
            let extra = multiLabelThreshold == nil ? 2 : 3
            try sink.write(Self.row([record.input.path] + Array(repeating: "", count: labels.count + extra)))
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
