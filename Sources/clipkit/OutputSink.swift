import Foundation

/// Where records go: standard output or a file, buffered, or written through at every call
/// (structured records: a killed run loses at most the record being written).
final class OutputSink {
    private let handle: FileHandle
    private let closesHandle: Bool
    private var buffer = Data()
    /// Whether each `write` reaches the file before it returns (one `write(2)` per record).
    let flushesEveryWrite: Bool
    /// The file written, or `nil` for standard output.
    let url: URL?

    /// Standard output when `path` is `nil`, otherwise the file at `path`: created or replaced,
    /// or with `appending`, created or continued at its end. With `flushesEveryWrite` every
    /// `write` call is written through, so a record written as one call is never left half in a
    /// buffer.
    init(path: String?, appending: Bool = false, flushesEveryWrite: Bool = false) throws {
        self.flushesEveryWrite = flushesEveryWrite
        guard let path else {
            handle = .standardOutput
            closesHandle = false
            url = nil
            return
        }
        let url = URL(fileURLWithPath: path)
        // open(2), not FileManager.createFile: on Linux that writes through a temporary folder
        // in /tmp that it never removes. Without `appending` an existing file is emptied.
        let descriptor = open(url.path, O_WRONLY | O_CREAT | (appending ? 0 : O_TRUNC), 0o644)
        if descriptor >= 0 { Glibc.close(descriptor) }
        guard descriptor >= 0, let handle = try? FileHandle(forWritingTo: url)
        else { throw CLIError("cannot create output file \(path)") }
        if appending { _ = try? handle.seekToEnd() }
        self.handle = handle
        self.url = url
        closesHandle = true
    }

    /// While set, writes are dropped (a resumed file already holds what `begin` writes).
    var isMuted = false

    func write(_ text: String) throws {
        if isMuted { return }
        buffer.append(contentsOf: text.utf8)
        if flushesEveryWrite || buffer.count >= 1 << 16 { try flush() }
    }

    func write(_ data: Data) throws {
        if isMuted { return }
        buffer.append(data)
        if flushesEveryWrite || buffer.count >= 1 << 16 { try flush() }
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
