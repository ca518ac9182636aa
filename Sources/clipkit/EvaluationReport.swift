import CLIPKit
import Foundation

/// What `evaluate` prints, as a table for people or JSON for programs.
struct EvaluationReport {
    let dataset: String
    let model: String
    let folders: [String]
    let evaluation: ZeroShotEvaluation
    let templateCount: Int
    /// Wall time from the first image to the last result.
    let imageSeconds: Double
    /// Wall time to build the classifier (text tower or cache).
    let textSeconds: Double
    let cacheLookup: TextEmbeddingLookup?
    let confusedPairs: Int

    /// Images classified plus failures, per second of image work.
    var imagesPerSecond: Double {
        let total = evaluation.imageCount + evaluation.failures
        return imageSeconds > 0 ? Double(total) / imageSeconds : 0
    }

    func table() -> String {
        func percent(_ value: Double?) -> String { value.map { String(format: "%.2f%%", $0 * 100) } ?? "-" }
        let e = evaluation
        var out = "dataset   \(dataset): \(e.classNames.count) classes, \(e.imageCount) images"
        out += e.failures > 0 ? ", \(e.failures) unreadable\n" : "\n"
        out += "model     \(model), \(templateCount) template\(templateCount == 1 ? "" : "s") per class\n"
        out += "top-1     \(percent(e.top1Accuracy))\n"
        out += "top-5     \(percent(e.top5Accuracy))\n"
        out += String(format: "speed     %.1f images/s (%.2f s); labels %.2f s", imagesPerSecond, imageSeconds, textSeconds)
        if let cacheLookup {
            out += " (cache: \(cacheLookup.hits) hits, \(cacheLookup.misses) misses)"
        }
        out += "\n\n"
        let header = ["class", "folder", "images", "top-1", "top-5"]
        let rows = e.classNames.indices.map { c in
            [TableWriter.oneLine(e.classNames[c]), TableWriter.oneLine(folders[c]), String(e.imagesPerClass[c]),
             percent(e.top1PerClass[c]), percent(e.top5PerClass[c])]
        }
        let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return i >= 2 ? pad + cell : cell + pad
            }.joined(separator: "  ") + "\n"
        }
        out += line(header)
        for row in rows { out += line(row) }
        let confused = e.mostConfused(limit: confusedPairs)
        if !confused.isEmpty {
            out += "\nmost confused (true -> predicted: images)\n"
            for pair in confused {
                out += "  \(TableWriter.oneLine(pair.trueClass)) -> \(TableWriter.oneLine(pair.predictedClass)): \(pair.count)\n"
            }
        }
        return out
    }

    func json() -> String {
        let e = evaluation
        func number(_ value: Double?) -> String {
            guard let value, value.isFinite else { return "null" }
            return "\(value)"
        }
        let perClass = e.classNames.indices.map { c in
            "{\"class\": \(JSONText.string(e.classNames[c])), \"folder\": \(JSONText.string(folders[c])), \"images\": \(e.imagesPerClass[c]), \"top1\": \(number(e.top1PerClass[c])), \"top5\": \(number(e.top5PerClass[c]))}"
        }
        let confused = e.mostConfused(limit: confusedPairs).map {
            "{\"true\": \(JSONText.string($0.trueClass)), \"predicted\": \(JSONText.string($0.predictedClass)), \"count\": \($0.count)}"
        }
        var fields = [
            "\"dataset\": \(JSONText.string(dataset))",
            "\"model\": \(JSONText.string(model))",
            "\"templates\": \(templateCount)",
            "\"classes\": \(e.classNames.count)",
            "\"images\": \(e.imageCount)",
            "\"failed\": \(e.failures)",
            "\"top1\": \(number(e.top1Accuracy))",
            "\"top5\": \(number(e.top5Accuracy))",
            "\"images_per_second\": \(number(imagesPerSecond))",
            "\"image_seconds\": \(number(imageSeconds))",
            "\"label_seconds\": \(number(textSeconds))",
        ]
        if let cacheLookup {
            fields.append("\"cache\": {\"hits\": \(cacheLookup.hits), \"misses\": \(cacheLookup.misses)}")
        }
        fields.append("\"per_class\": [\n    " + perClass.joined(separator: ",\n    ") + "\n  ]")
        fields.append("\"most_confused\": [" + (confused.isEmpty ? "" : "\n    " + confused.joined(separator: ",\n    ") + "\n  ") + "]")
        return "{\n  " + fields.joined(separator: ",\n  ") + "\n}\n"
    }
}
