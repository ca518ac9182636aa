import Foundation

/// A named list of prompt templates for an ensemble: each template holds `{}` where the label
/// goes, e.g. `"a photo of a {}."`.
///
/// Two sets ship with the library (``openAIImageNet`` and ``simpleImageNet``, from open_clip);
/// others are read from a text file with ``init(contentsOf:)``.
public struct PromptTemplateSet: Sendable, Hashable {
    /// The set's name (`openai-imagenet`, or the file's path for a set read from a file).
    public let name: String
    /// The templates, in order; never empty, each with at least one `{}`.
    public let templates: [String]

    /// The sets that ship with the library, by name.
    public static let builtIn: [PromptTemplateSet] = [openAIImageNet, simpleImageNet]

    /// A built-in set by name (`openai-imagenet`, `simple-imagenet`), or `nil`.
    public static func named(_ name: String) -> PromptTemplateSet? {
        builtIn.first { $0.name == name }
    }

    /// A set of templates. Throws ``ClassifierError/noTemplates`` for an empty list and
    /// ``ClassifierError/templateWithoutPlaceholder(_:)`` for a template without `{}`.
    public init(name: String, templates: [String]) throws {
        try ZeroShotClassifier.validate(templates: templates)
        self.name = name
        self.templates = templates
    }

    /// For the built-in data, checked by the tests.
    init(uncheckedName name: String, templates: [String]) {
        self.name = name
        self.templates = templates
    }

    /// Reads templates from a UTF-8 text file: one template per line, surrounding whitespace
    /// trimmed, blank lines and lines starting with `#` ignored (a byte-order mark and CRLF line
    /// ends are accepted). Throws ``ClassifierError``.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ClassifierError.unreadableTemplates(path: url.path, reason: error.localizedDescription)
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw ClassifierError.unreadableTemplates(path: url.path, reason: "not valid UTF-8")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard !lines.isEmpty else {
            throw ClassifierError.unreadableTemplates(path: url.path, reason: "no templates in the file")
        }
        try self.init(name: url.path, templates: lines)
    }

    /// A built-in set when `nameOrPath` names one, else the templates read from that file.
    /// Throws ``ClassifierError``.
    public static func resolve(_ nameOrPath: String) throws -> PromptTemplateSet {
        if let set = named(nameOrPath) { return set }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: nameOrPath, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw ClassifierError.unknownTemplateSet(nameOrPath, known: builtIn.map(\.name))
        }
        return try PromptTemplateSet(contentsOf: URL(fileURLWithPath: nameOrPath))
    }
}
