import CLIPKit
import Foundation

/// A one-line progress bar on standard error, redrawn at most ten times a second.
/// Only used when standard error is a terminal.
final class DownloadProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private var lastDraw = Date.distantPast
    private var drawn = false

    /// A bar when standard error is a terminal, else `nil`.
    static func ifTerminal() -> DownloadProgressBar? {
        isatty(STDERR_FILENO) == 1 ? DownloadProgressBar() : nil
    }

    func update(_ progress: DownloadProgress) {
        lock.withLock {
            let now = Date()
            let fileDone = progress.fileTotal.map { progress.fileBytes >= $0 } ?? false
            guard now.timeIntervalSince(lastDraw) >= 0.1 || fileDone else { return }
            lastDraw = now
            drawn = true
            let total = max(progress.totalBytes, progress.completedBytes)
            let fraction = total > 0 ? Double(progress.completedBytes) / Double(total) : 0
            let width = 24
            let filled = min(width, Int(fraction * Double(width)))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            let line = String(format: "\r%@ [%@] %3d%% %@ / %@\u{1B}[K", progress.file, bar,
                              Int(fraction * 100), Self.size(progress.completedBytes), Self.size(total))
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    /// Ends the bar's line, if one was drawn.
    func finish() {
        lock.withLock {
            if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
            drawn = false
        }
    }

    private static func size(_ bytes: Int64) -> String {
        let megabytes = Double(bytes) / 1_000_000
        return megabytes >= 1000 ? String(format: "%.2f GB", megabytes / 1000) : String(format: "%.1f MB", megabytes)
    }
}
