import CLIPKit
import Foundation

/// The object behind a `clipkit_classifier *`.
final class ClassifierHandle: Sendable {
    let engine: Engine
    let classifier: ZeroShotClassifier
    /// Label → its column in the probability rows.
    let columns: [String: Int]

    init(engine: Engine, labels: [String], templates: [String]) throws {
        self.engine = engine
        do {
            classifier = try ZeroShotClassifier(pipeline: engine.pipeline, labels: labels, templates: templates)
        } catch {
            throw ABIError(error)
        }
        columns = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
    }
}

extension ClassifierHandle {
    /// The templates the C string names: a built-in set (`openai-imagenet`, `simple-imagenet`),
    /// or one template per line (several lines: an ensemble, open_clip's method). Never a file
    /// path: the string may come from a remote caller.
    static func templates(from text: String) -> [String] {
        if let set = PromptTemplateSet.named(text) { return set.templates }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        return lines.isEmpty ? [text] : lines
    }
}

/// The object behind a `clipkit_embedder *`.
final class EmbedderHandle: Sendable {
    let engine: Engine

    init(engine: Engine) {
        self.engine = engine
    }
}

/// Opaque pointers ↔ handles. A handle is retained once at creation and released by *_free.
enum Handles {
    static func open<T: AnyObject>(_ object: T) -> OpaquePointer {
        OpaquePointer(Unmanaged.passRetained(object).toOpaque())
    }

    static func borrow<T: AnyObject>(_ pointer: OpaquePointer?, as _: T.Type) throws -> T {
        guard let pointer else { throw ABIError.invalidArgument("the handle is NULL") }
        return Unmanaged<T>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }

    static func close<T: AnyObject>(_ pointer: OpaquePointer?, as _: T.Type) {
        guard let pointer else { return }
        Unmanaged<T>.fromOpaque(UnsafeRawPointer(pointer)).release()
    }
}

/// Per-item outputs of a batch call: a row of floats, a status and a message per item.
struct ItemOutputs {
    let rows: UnsafeMutablePointer<Float>
    let width: Int
    let sizes: UnsafeMutablePointer<Int32>?
    let statuses: UnsafeMutablePointer<Int32>
    let messages: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?

    init(rows: UnsafeMutablePointer<Float>?, width: Int, sizes: UnsafeMutablePointer<Int32>?, statuses: UnsafeMutablePointer<Int32>?,
         messages: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, count: Int) throws {
        guard let rows else { throw ABIError.invalidArgument("the output buffer is NULL") }
        guard let statuses else { throw ABIError.invalidArgument("statuses is NULL") }
        self.rows = rows
        self.width = width
        self.sizes = sizes
        self.statuses = statuses
        self.messages = messages
        // Until proven good every item is a failure with a zero row, so nothing is left unset.
        rows.update(repeating: 0, count: count * width)
        statuses.update(repeating: Status.inference, count: count)
        messages?.update(repeating: nil, count: count)
        sizes?.update(repeating: -1, count: 2 * count)
    }

    func decoded(_ index: Int, height: Int, width: Int) {
        sizes?[2 * index] = Int32(clamping: height)
        sizes?[2 * index + 1] = Int32(clamping: width)
    }

    func succeed(_ index: Int) {
        statuses[index] = Status.ok
    }

    func fail(_ index: Int, _ error: ABIError) {
        statuses[index] = error.status
        if let messages { messages[index] = CStrings.copy(error.errorDescription ?? "error") }
    }
}

/// Runs `body`, turning a thrown error into its status and a message in `*message`.
func guarded(_ message: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ body: () throws -> Void) -> Int32 {
    message?.pointee = nil
    do {
        try body()
        return Status.ok
    } catch {
        let abi = ABIError(error)
        CStrings.store(abi.errorDescription ?? "error", into: message)
        return abi.status
    }
}
