import CLIPKit

/// `jsonl`: one object per input per line; `json`: an array of the same objects.
/// A readable input gives `{"path", "label", "score", "scores": [{"label", "score"}...]}` with
/// scores sorted descending (first `topK` only when set); an unreadable one `{"path", "error"}`.
/// With a multi-label threshold a readable input also has `"labels": [{"label", "score"}...]`,
/// every label scoring at least the threshold, best first (possibly empty).
struct JSONRecordWriter: ClassificationWriter {
    let sink: OutputSink
    let topK: Int?
    let asArray: Bool
    let multiLabelThreshold: Float?
    private var count = 0

    init(sink: OutputSink, topK: Int?, asArray: Bool, multiLabelThreshold: Float? = nil) {
        self.sink = sink
        self.topK = topK
        self.asArray = asArray
        self.multiLabelThreshold = multiLabelThreshold
    }

    mutating func begin(labels: [String]) throws {
        if asArray { try sink.write("[") }
    }

    mutating func write(_ record: ClassificationRecord) throws {
        let object = Self.object(for: record, topK: topK, multiLabelThreshold: multiLabelThreshold)
        if asArray {
            try sink.write((count == 0 ? "\n  " : ",\n  ") + object)
        } else {
            try sink.write(object + "\n")
        }
        count += 1
    }

    mutating func finish() throws {
        if asArray { try sink.write(count == 0 ? "]\n" : "\n]\n") }
    }

    static func object(for record: ClassificationRecord, topK: Int?, multiLabelThreshold: Float? = nil) -> String {
        let path = "\"path\": " + JSONText.string(record.input.path)
        switch record.result {
        case .success(let classification):
            func item(_ score: LabelScore) -> String {
                "{\"label\": \(JSONText.string(score.label)), \"score\": \(JSONText.number(score.score))}"
            }
            let scores = classification.top(topK ?? classification.scores.count).map(item)
            var selected = ""
            if let threshold = multiLabelThreshold {
                selected = ", \"labels\": [" + classification.labels(scoringAtLeast: threshold).map(item).joined(separator: ", ") + "]"
            }
            return "{\(path), \"label\": \(JSONText.string(classification.label)), \"score\": \(JSONText.number(classification.score))\(selected), \"scores\": [\(scores.joined(separator: ", "))]}"
        case .failure:
            return "{\(path), \"error\": \(JSONText.string(record.errorMessage ?? ""))}"
        }
    }
}
