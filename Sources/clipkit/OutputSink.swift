import Foundation

/// Where records go: standard output or a file, buffered.
final class OutputSink {
    private let handle: FileHandle
    private let closesHandle: Bool
    private var buffer = Data()
    /// The file written, or `nil` for standard output.
    let url: URL?

    /// Standard output when `path` is `nil`, otherwise the file at `path` (created or replaced).
    init(path: String?) throws {
        guard let path else {
            handle = .standardOutput
            closesHandle = false
            url = nil
            return
        }
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
              let handle = try? FileHandle(forWritingTo: url)
        else { throw CLIError("cannot create output file \(path)") }
        self.handle = handle
        self.url = url
        closesHandle = true
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { try flush() }
    }

    func write(_ data: Data) throws {
        buffer.append(data)
        if buffer.count >= 1 << 16 { try flush() }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        do {
            try handle.write(contentsOf: buffer)
        } catch {
            throw CLIError("cannot write \(url?.path ?? "standard output"): \(describe(error))")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and closes the file (standard output stays open).
    func close() throws {
        try flush()
        if closesHandle { try? handle.close() }
    }

    /// Seeks to `offset` and writes `data` unbuffered (after flushing), then returns to the end.
    func overwrite(at offset: UInt64, with data: Data) throws {
        try flush()
        do {
            try handle.seek(toOffset: offset)
            try handle.write(contentsOf: data)
            try handle.seekToEnd()
        } catch {
            throw CLIError("cannot write \(url?.path ?? "standard output"): \(describe(error))")
        }
    }
}
