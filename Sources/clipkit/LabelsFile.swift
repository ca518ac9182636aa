import ArgumentParser
import CLIPKit
import Foundation

/// Candidate labels from a `--labels-file` (format: ``CandidateLabelsFile``).
enum LabelsFile {
    static func labels(atPath path: String) throws -> [String] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ValidationError("cannot read labels file \(path)")
        }
        guard let labels = CandidateLabelsFile.labels(in: data) else {
            throw ValidationError("labels file \(path) is not valid UTF-8")
        }
        return labels
    }
}
