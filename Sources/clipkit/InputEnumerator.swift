import CLIPKit
import Foundation

/// One input image found from the PATH arguments.
struct InputFile: Sendable {
    /// The path as the user would write it: the argument, joined with names found under it.
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
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
            } catch {
                throw CLIError("\(path): cannot read file (\(describe(error)))")
            }
            return try ImageDecoder.decode(data, name: path, options: options)
        }
    }
}

/// Expands PATH arguments: a file is itself; a directory is its files sorted by name, hidden
/// entries (names starting with ".") skipped, subdirectories only when recursive (walked in
/// name order among the files, each directory at most once even through symbolic links).
/// A path that does not exist becomes an input that fails with "no such file or directory".
struct InputEnumerator {
    var recursive = false

    func inputs(for arguments: [String]) -> [InputFile] {
        var found = [InputFile]()
        var visited = Set<String>()
        for argument in arguments {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                let name = URL(fileURLWithPath: argument).lastPathComponent
                found.append(InputFile(path: argument, displayName: name, problem: "no such file or directory"))
                continue
            }
            if isDirectory.boolValue {
                walk(directory: argument, relative: "", into: &found, visited: &visited)
            } else {
                found.append(InputFile(path: argument, displayName: URL(fileURLWithPath: argument).lastPathComponent, problem: nil))
            }
        }
        return found
    }

    private func walk(directory: String, relative: String, into found: inout [InputFile], visited: inout Set<String>) {
        let canonical = URL(fileURLWithPath: directory).resolvingSymlinksInPath().standardizedFileURL.path
        guard visited.insert(canonical).inserted else { return }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            found.append(InputFile(path: directory, displayName: relative.isEmpty ? directory : relative,
                                   problem: "cannot list directory: \(describe(error))"))
            return
        }
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = Self.join(directory, name)
            let shown = relative.isEmpty ? name : relative + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                found.append(InputFile(path: path, displayName: shown, problem: "broken symbolic link"))
                continue
            }
            if isDirectory.boolValue {
                if recursive { walk(directory: path, relative: shown, into: &found, visited: &visited) }
            } else {
                found.append(InputFile(path: path, displayName: shown, problem: nil))
            }
        }
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
