import CLIPKit

/// `jsonl`: one object per input per line; `json`: an array of the same objects.
/// A readable input gives `{"path", "label", "score", "scores": [{"label", "score"}...]}` with
/// scores sorted descending (first `topK` only when set); an unreadable one `{"path", "error"}`.
struct JSONRecordWriter: ClassificationWriter {
    let sink: OutputSink
    let topK: Int?
    let asArray: Bool
    private var count = 0

    init(sink: OutputSink, topK: Int?, asArray: Bool) {
        self.sink = sink
        self.topK = topK
        self.asArray = asArray
    }

    mutating func begin(labels: [String]) throws {
        if asArray { try sink.write("[") }
    }

    mutating func write(_ record: ClassificationRecord) throws {
        let object = Self.object(for: record, topK: topK)
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

    static func object(for record: ClassificationRecord, topK: Int?) -> String {
        let path = "\"path\": " + JSONText.string(record.input.path)
        switch record.result {
        case .success(let classification):
            let scores = classification.top(topK ?? classification.scores.count).map {
                "{\"label\": \(JSONText.string($0.label)), \"score\": \(JSONText.number($0.score))}"
            }
            return "{\(path), \"label\": \(JSONText.string(classification.label)), \"score\": \(JSONText.number(classification.score)), \"scores\": [\(scores.joined(separator: ", "))]}"
        case .failure:
            return "{\(path), \"error\": \(JSONText.string(record.errorMessage ?? ""))}"
        }
    }
}
