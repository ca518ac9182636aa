import CLIPKit
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One input image found from the PATH arguments.
struct InputFile: Sendable {
    /// The path as the user would write it: the argument, joined with names found under it.
    /// A name that is not UTF-8 shows its bad bytes as U+FFFD.
    let path: String
    /// The name shown in the table: the file name, or the path relative to a directory argument.
    let displayName: String
    /// Why the path cannot be used, when that is known before decoding (e.g. it does not exist).
    let problem: String?

    /// The input for the batch run. Errors name the path as the user wrote it.
    func imageInput(options: ImageDecodingOptions) -> ImageInput {
        let path = self.path
        if let problem {
            return .loader(name: path) { throw CLIError("\(path): \(problem)") }
        }
        return .loader(name: path) {
            try ImageDecoder.decode(Self.read(path), name: path, options: options)
        }
    }

    /// The bytes of the regular file at `path` (memory-mapped when safe). Errors say what the
    /// system said: permission denied, a file that vanished since it was listed, a symbolic
    /// link loop, something that is not a regular file (a FIFO would block for ever).
    static func read(_ path: String) throws -> Data {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            let reason = code == ENOENT ? "it no longer exists" : String(cString: strerror(code))
            throw CLIError("\(path): cannot read file (\(reason))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw CLIError("\(path): not a regular file")
        }
        guard access(path, R_OK) == 0 else {
            throw CLIError("\(path): cannot read file (\(String(cString: strerror(errno))))")
        }
        // Foundation leaks 4 KB per empty file read with Data(contentsOf:) (see docs/robustness.md).
        if info.st_size == 0 { return Data() }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw CLIError("\(path): cannot read file (\(describe(error)))")
        }
    }
}

/// Expands PATH arguments lazily: a file is itself; a directory is its files sorted by name,
/// hidden entries (names starting with ".") skipped, subdirectories only when recursive
/// (walked in name order among the files, each directory at most once even through symbolic
/// links). Only one directory listing per level of the walk is held at a time, so a folder of
/// 100,000 files costs its sorted names, not 100,000 inputs.
///
/// A path that does not exist becomes an input that fails with "no such file or directory"; a
/// dangling link, a link loop, a name that is not UTF-8 and a directory that cannot be listed
/// each become a failing input too, and the walk goes on.
struct InputEnumerator: Sequence {
    var recursive = false
    var arguments: [String] = []

    init(recursive: Bool = false, arguments: [String] = []) {
        self.recursive = recursive
        self.arguments = arguments
    }

    /// Every input for `arguments`, in order (holds them all; prefer iterating).
    func inputs(for arguments: [String]) -> [InputFile] {
        Array(InputEnumerator(recursive: recursive, arguments: arguments))
    }

    func makeIterator() -> Iterator { Iterator(recursive: recursive, arguments: arguments) }

    struct Iterator: IteratorProtocol {
        /// One directory being walked: its sorted entries and the next one to look at.
        struct Frame {
            let directory: String
            let relative: String
            let names: [DirectoryEntryName]
            var next = 0
        }

        let recursive: Bool
        var arguments: IndexingIterator<[String]>
        var stack: [Frame] = []
        var visited = Set<String>()

        init(recursive: Bool, arguments: [String]) {
            self.recursive = recursive
            self.arguments = arguments.makeIterator()
        }

        mutating func next() -> InputFile? {
            while true {
                if var frame = stack.popLast() {
                    guard frame.next < frame.names.count else { continue }
                    let entry = frame.names[frame.next]
                    frame.next += 1
                    stack.append(frame)
                    let path = InputEnumerator.join(frame.directory, entry.name)
                    let shown = frame.relative.isEmpty ? entry.name : frame.relative + "/" + entry.name
                    if !entry.isUTF8 {
                        return InputFile(path: path, displayName: shown, problem: "the file name is not valid UTF-8")
                    }
                    if let input = visit(path, shown: shown, isArgument: false) { return input }
                    continue
                }
                guard let argument = arguments.next() else { return nil }
                let name = URL(fileURLWithPath: argument).lastPathComponent
                if let input = visit(argument, shown: name, isArgument: true) { return input }
            }
        }

        /// The input for `path`, or `nil` after pushing it as a directory to walk (or skipping it).
        private mutating func visit(_ path: String, shown: String, isArgument: Bool) -> InputFile? {
            var info = stat()
            guard stat(path, &info) == 0 else {
                let code = errno
                var link = stat()
                let isLink = lstat(path, &link) == 0 && link.st_mode & S_IFMT == S_IFLNK
                let problem: String
                switch code {
                case ELOOP: problem = "symbolic link loop"
                case ENOENT where isLink: problem = "broken symbolic link"
                // Listed a moment ago, gone now: the same words as when it vanishes before reading.
                case ENOENT: problem = isArgument ? "no such file or directory" : "cannot read file (it no longer exists)"
                default: problem = String(cString: strerror(code))
                }
                return InputFile(path: path, displayName: shown, problem: problem)
            }
            guard info.st_mode & S_IFMT == S_IFDIR else {
                return InputFile(path: path, displayName: shown, problem: nil)
            }
            guard isArgument || recursive else { return nil }
            let canonical = URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
            guard visited.insert(canonical).inserted else { return nil }
            do {
                let names = try InputEnumerator.listing(of: path)
                stack.append(Frame(directory: path, relative: isArgument ? "" : shown, names: names))
                return nil
            } catch {
                return InputFile(path: path, displayName: isArgument ? path : shown,
                                 problem: "cannot list directory: \(describe(error))")
            }
        }
    }

    /// A directory entry's name as read from the file system.
    struct DirectoryEntryName {
        let name: String
        let isUTF8: Bool
    }

    /// The visible entries of `directory`, sorted by name (String order, as before), read with
    /// `readdir` so names that are not UTF-8 are seen (and reported) rather than lost.
    static func listing(of directory: String) throws -> [DirectoryEntryName] {
        guard let dir = opendir(directory) else {
            throw CLIError(String(cString: strerror(errno)))
        }
        defer { closedir(dir) }
        var names: [DirectoryEntryName] = []
        while let entry = readdir(dir) {
            let bytes: [UInt8] = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix(while: { $0 != 0 }))
            }
            guard let first = bytes.first, first != UInt8(ascii: ".") else { continue }
            if let name = String(validating: bytes, as: UTF8.self) {
                names.append(DirectoryEntryName(name: name, isUTF8: true))
            } else {
                names.append(DirectoryEntryName(name: String(decoding: bytes, as: UTF8.self), isUTF8: false))
            }
        }
        return names.sorted { $0.name < $1.name }
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
