import Foundation

/// Why a zero-shot classifier could not be built from its labels and template.
public enum ClassifierError: LocalizedError, Equatable, Sendable {
    /// No candidate labels were given.
    case noLabels
    /// A label is empty or only whitespace; `position` counts from 1.
    case emptyLabel(position: Int)
    /// The same label was given twice.
    case duplicateLabel(String)
    /// The template has no `{}` to put the label in.
    case templateWithoutPlaceholder(String)

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
        }
    }
}
