import Foundation

/// Why a zero-shot classifier could not be built from its labels and templates.
public enum ClassifierError: LocalizedError, Equatable, Sendable {
    /// No candidate labels were given.
    case noLabels
    /// A label is empty or only whitespace; `position` counts from 1.
    case emptyLabel(position: Int)
    /// The same label was given twice.
    case duplicateLabel(String)
    /// The template has no `{}` to put the label in.
    case templateWithoutPlaceholder(String)
    /// An empty list of templates was given.
    case noTemplates
    /// `name` is neither a built-in template set nor a readable file.
    case unknownTemplateSet(String, known: [String])
    /// A template file could not be read or holds no template.
    case unreadableTemplates(path: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .noLabels:
            return "at least one candidate label is needed"
        case .emptyLabel(let position):
            return "label \(position) is empty"
        case .duplicateLabel(let label):
            return "duplicate label '\(label)'"
        case .templateWithoutPlaceholder(let template):
            return "the template '\(template)' has no {} for the label"
        case .noTemplates:
            return "at least one template is needed"
        case .unknownTemplateSet(let name, let known):
            return "'\(name)' is neither a template set (\(known.joined(separator: ", "))) nor a file"
        case .unreadableTemplates(let path, let reason):
            return "cannot read templates from \(path): \(reason)"
        }
    }
}
