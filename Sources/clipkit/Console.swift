import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard error, written with `write(2)` so any task may use it.
enum Console {
    /// Whether standard error is a terminal (progress bars only go there).
    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    /// Writes `text` to standard error as is.
    static func writeError(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { return }
            offset += written
        }
    }

    /// Writes `clipkit: warning: <message>` and a newline to standard error.
    static func warn(_ message: String) {
        writeError("clipkit: warning: \(message)\n")
    }
}
