import Foundation

/// A labelled dataset in torchvision's ImageFolder layout: one subfolder per class (sorted by
/// name, hidden ones skipped), its image files found recursively in name order.
struct ImageFolderDataset {
    /// Class folder names, sorted.
    let folders: [String]
    /// Every file with the index of its class folder.
    let files: [(input: InputFile, classIndex: Int)]

    init(directory: String) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw CLIError("cannot list dataset folder \(directory): \(describe(error))")
        }
        var folders = [String]()
        for name in names.sorted() where !name.hasPrefix(".") {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: InputEnumerator.join(directory, name), isDirectory: &isDirectory),
               isDirectory.boolValue {
                folders.append(name)
            }
        }
        guard !folders.isEmpty else {
            throw CLIError("\(directory) has no class subfolders (expected DIR/<class>/<image>)")
        }
        let enumerator = InputEnumerator(recursive: true)
        var files = [(input: InputFile, classIndex: Int)]()
        for (k, folder) in folders.enumerated() {
            for input in enumerator.inputs(for: [InputEnumerator.join(directory, folder)]) {
                files.append((input, k))
            }
        }
        self.folders = folders
        self.files = files
    }
}
