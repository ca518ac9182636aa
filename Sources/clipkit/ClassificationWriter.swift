import ArgumentParser
import CLIPKit

/// Output formats of `classify`.
enum ClassificationFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, jsonl, csv
}

/// Writes `classify` records in one format as they arrive.
protocol ClassificationWriter {
    /// Called once before the first record.
    mutating func begin(labels: [String]) throws
    mutating func write(_ record: ClassificationRecord) throws
    /// Called once after the last record (also when a --strict run stops early).
    mutating func finish() throws
}

/// The writer for `format`; `topK` limits the `scores` lists of json and jsonl;
/// `multiLabelThreshold` adds every label scoring at least that much (see each writer).
func makeClassificationWriter(_ format: ClassificationFormat, sink: OutputSink, topK: Int?,
                              multiLabelThreshold: Float? = nil) -> any ClassificationWriter {
    switch format {
    case .table: return TableWriter(sink: sink, multiLabelThreshold: multiLabelThreshold)
    case .json: return JSONRecordWriter(sink: sink, topK: topK, asArray: true, multiLabelThreshold: multiLabelThreshold)
    case .jsonl: return JSONRecordWriter(sink: sink, topK: topK, asArray: false, multiLabelThreshold: multiLabelThreshold)
    case .csv: return CSVWriter(sink: sink, multiLabelThreshold: multiLabelThreshold)
    }
}
