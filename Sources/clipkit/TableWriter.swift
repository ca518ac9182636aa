import Foundation

/// The seed's table (Spark's `show(truncate=False)` layout): columns `image_name`, `result`
/// (best label, or the error) and `score` (4 decimals). Rows are kept until the end to size the
/// columns. With a multi-label threshold, `result` lists every label scoring at least that much
/// (best first, comma-separated, `(none)` when none does) and `score` their scores.
struct TableWriter: ClassificationWriter {
    let sink: OutputSink
    let multiLabelThreshold: Float?
    private var rows: [[String]] = []

    init(sink: OutputSink, multiLabelThreshold: Float? = nil) {
        self.sink = sink
        self.multiLabelThreshold = multiLabelThreshold
    }

    mutating func begin(labels: [String]) throws {}

    mutating func write(_ record: ClassificationRecord) throws {
        switch record.result {
        case .success(let classification):
            if let threshold = multiLabelThreshold {
                let selected = classification.labels(scoringAtLeast: threshold)
                rows.append([record.input.displayName,
                             selected.isEmpty ? "(none)" : selected.map(\.label).joined(separator: ", "),
                             selected.map { String(format: "%.4f", Double($0.score)) }.joined(separator: ", ")])
            } else {
                rows.append([record.input.displayName, classification.label, String(format: "%.4f", Double(classification.score))])
            }
        case .failure:
            rows.append([record.input.displayName, "error: \(record.errorMessage ?? "")", ""])
        }
    }

    mutating func finish() throws {
        let header = ["image_name", "result", "score"]
        let cleaned = rows.map { $0.map(Self.oneLine) }
        let widths = (0..<header.count).map { column in
            ([header] + cleaned).map { $0[column].count }.max() ?? 0
        }
        let rule = "+" + widths.map { String(repeating: "-", count: $0) }.joined(separator: "+") + "+\n"
        func line(_ cells: [String]) -> String {
            "|" + zip(cells, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "|") + "|\n"
        }
        var out = rule + line(header) + rule
        for row in cleaned { out += line(row) }
        out += rule
        try sink.write(out)
    }

    /// Control characters (a newline in a file name...) would break the layout.
    static func oneLine(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : $0 }))
    }
}
