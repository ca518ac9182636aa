import CLIPKit
import Foundation

/// The models loaded in this process, one per (folder, precision), shared by every handle.
///
/// A Spark executor creates a classifier per task; the registry makes every one after the first
/// reuse the weights already in memory. Entries live as long as the process.
final class ModelRegistry: @unchecked Sendable {
    /// What a model folder yields apart from the preprocessing, which each handle may override.
    struct Entry: Sendable {
        let model: any ZeroShotModel
        let tokenizer: any TextTokenizer
        let preprocessor: PreprocessorConfig
    }

    static let shared = ModelRegistry()

    // @unchecked Sendable: `entries` is only touched with `lock` held.
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]

    /// Resolves `reference` (folder, Hub id or Spark NLP name) to a local folder.
    static func resolve(_ reference: String) throws -> URL {
        do {
            return try Blocking.run { try await ModelLocator.resolve(reference) }
        } catch {
            throw ABIError(error, loading: true)
        }
    }

    /// The model in `folder` at `precision`, loading it on first use. Loads are serialised by
    /// the lock, so concurrent first calls load once.
    func entry(folder: URL, precision: String) throws -> Entry {
        let key = folder.standardizedFileURL.resolvingSymlinksInPath().path + "\u{0}" + precision
        lock.lock()
        defer { lock.unlock() }
        if let entry = entries[key] { return entry }
        do {
            // EngineOptions has checked the name already; an unknown one is still an error here.
            guard let arithmetic = Precision(rawValue: precision) else {
                throw ABIError.unsupported("precision '\(precision)' is not one of fp32, bf16, int8")
            }
            // The folder's family (config.json) picks the towers, tokenizer and preprocessing defaults.
            let family = try ModelFamily.detect(directory: folder)
            let entry = Entry(
                model: try family.loadModel(directory: folder, precision: arithmetic),
                tokenizer: try TokenizerLoader.load(directory: folder),
                preprocessor: try PreprocessorConfig.load(fromDirectory: folder, defaults: family.defaultPreprocessorConfig))
            entries[key] = entry
            return entry
        } catch {
            throw ABIError(error, loading: true)
        }
    }
}
