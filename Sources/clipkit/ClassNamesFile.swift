import ArgumentParser
import CLIPKit
import Foundation

/// `evaluate --class-names FILE`: readable class names for dataset folders. Accepted forms:
/// a JSON object `{"folder": "name"}`; lines `folder<TAB>name`, or `folder name` (split at the
/// first space when the first word is a folder); or, when no line names a folder, one name per
/// line in sorted folder order (e.g. open_clip's ImageNet class names for the sorted WordNet ids).
/// Blank lines and lines starting with `#` are ignored; UTF-8, BOM and CRLF accepted.
enum ClassNamesFile {
    static func names(atPath path: String, folders: [String]) throws -> [String] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ValidationError("cannot read class names file \(path)")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw ValidationError("class names file \(path) is not valid UTF-8")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return try names(parsing: text, folders: folders, path: path)
    }

    static func names(parsing text: String, folders: [String], path: String) throws -> [String] {
        var mapping = [String: String]()
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("{") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any] else {
                throw ValidationError("class names file \(path) is not a JSON object of strings")
            }
            for (key, value) in object {
                guard let name = value as? String else { throw ValidationError("class names file \(path): the value of '\(key)' is not a string") }
                mapping[key] = name
            }
        } else {
            let lines = CandidateLabelsFile.labels(inText: text)
            let known = Set(folders)
            for line in lines {
                if let tab = line.firstIndex(of: "\t") {
                    mapping[String(line[..<tab])] = line[line.index(after: tab)...].trimmingCharacters(in: .whitespaces)
                } else if let space = line.firstIndex(of: " "), known.contains(String(line[..<space])) {
                    mapping[String(line[..<space])] = line[line.index(after: space)...].trimmingCharacters(in: .whitespaces)
                }
            }
            if mapping.isEmpty {
                guard lines.count == folders.count else {
                    throw ValidationError("class names file \(path) names no folder and has \(lines.count) lines for \(folders.count) folders")
                }
                return lines
            }
        }
        return try folders.map { folder in
            guard let name = mapping[folder], !name.isEmpty else {
                throw ValidationError("class names file \(path) has no name for folder '\(folder)'")
            }
            return name
        }
    }
}
