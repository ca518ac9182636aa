import CLIPKit
import Foundation

/// A one-line progress bar on standard error (count, images/s, ETA), drawn only when standard
/// error is a terminal; otherwise it writes nothing.
struct ProgressBar: Sendable {
    let isEnabled: Bool
    let unit: String

    init(unit: String = "images", enabled: Bool = Console.stderrIsTerminal) {
        self.unit = unit
        isEnabled = enabled
    }

    /// Redraws the bar.
    func update(_ progress: BatchProgress) {
        guard isEnabled, progress.total > 0 else { return }
        let width = 24
        let filled = min(width, progress.completed * width / progress.total)
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        var line = "\r\u{1B}[K[\(bar)] \(progress.completed)/\(progress.total)"
        line += String(format: "  %.1f %@/s", progress.itemsPerSecond, unit)
        if let remaining = progress.estimatedSecondsRemaining { line += "  ETA " + Self.clock(remaining) }
        if progress.failed > 0 { line += "  (\(progress.failed) failed)" }
        Console.writeError(line)
    }

    /// Erases the bar so later messages start on a clean line.
    func clear() {
        if isEnabled { Console.writeError("\r\u{1B}[K") }
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                         : String(format: "%d:%02d", s / 60, s % 60)
    }
}
