/// A cumulative Prometheus histogram with fixed bucket bounds.
struct Histogram: Sendable {
    /// Upper bounds of the buckets, ascending (`+Inf` is implied).
    let bounds: [Double]
    /// Observations at most each bound (not cumulative; summed when written).
    private(set) var counts: [UInt64]
    private(set) var sum: Double = 0
    private(set) var count: UInt64 = 0

    init(bounds: [Double]) {
        self.bounds = bounds
        counts = Array(repeating: 0, count: bounds.count + 1)
    }

    mutating func observe(_ value: Double) {
        let index = bounds.firstIndex { value <= $0 } ?? bounds.count
        counts[index] &+= 1
        sum += value
        count &+= 1
    }

    /// The histogram's lines in Prometheus text format; `labels` is `key="value",...` or empty.
    func lines(name: String, labels: String) -> [String] {
        let prefix = labels.isEmpty ? "" : labels + ","
        var lines = [String]()
        var cumulative: UInt64 = 0
        for (i, bound) in bounds.enumerated() {
            cumulative &+= counts[i]
            lines.append("\(name)_bucket{\(prefix)le=\"\(formatBound(bound))\"} \(cumulative)")
        }
        cumulative &+= counts[bounds.count]
        lines.append("\(name)_bucket{\(prefix)le=\"+Inf\"} \(cumulative)")
        let suffix = labels.isEmpty ? "" : "{\(labels)}"
        lines.append("\(name)_sum\(suffix) \(sum)")
        lines.append("\(name)_count\(suffix) \(count)")
        return lines
    }

    private func formatBound(_ bound: Double) -> String {
        bound == bound.rounded() ? String(Int(bound)) : String(bound)
    }
}
