import CLIPKit
import CLIPKitABI
import Foundation

/// The settings of a `clipkit_options` struct, read and checked.
struct EngineOptions: Sendable {
    var threads = 0
    var batchSize = 8
    var ignoresEXIF = false
    var precision = "fp32"
    /// A JSON object of `preprocessor_config.json` keys overriding the model's, or `nil`.
    var preprocessorOverrides: Data?

    /// The precisions the engine loads (`CLIPKit.Precision`'s names).
    static let supportedPrecisions = Set(Precision.allCases.map(\.rawValue))

    /// Largest batch accepted: a batch's pixels are allocated at once (4096 ViT-B/32 images
    /// are 2.4 GB), so a larger value is a mistake, not a wish.
    static let maxBatchSize: Int32 = 4096

    init() {}

    /// Reads `options` (NULL means the defaults). Throws `ABIError`.
    init(_ options: UnsafePointer<clipkit_options>?) throws {
        guard let options else { return }
        let o = options.pointee
        guard Int(o.struct_size) >= MemoryLayout<clipkit_options>.size else {
            throw ABIError.invalidArgument("clipkit_options.struct_size is \(o.struct_size), expected at least \(MemoryLayout<clipkit_options>.size) (call clipkit_options_init)")
        }
        guard o.threads >= 0 else { throw ABIError.invalidArgument("threads must be 0 (all cores) or positive, got \(o.threads)") }
        guard o.batch_size >= 0, o.batch_size <= Self.maxBatchSize else {
            throw ABIError.invalidArgument("batch_size must be 0 (default) to \(Self.maxBatchSize), got \(o.batch_size)")
        }
        threads = Int(o.threads)
        if o.batch_size > 0 { batchSize = Int(o.batch_size) }
        ignoresEXIF = o.ignore_exif != 0
        if let p = o.precision { precision = String(cString: p) }
        guard Self.supportedPrecisions.contains(precision) else {
            throw ABIError.unsupported("precision '\(precision)' is not available in this build (supported: \(Self.supportedPrecisions.sorted().joined(separator: ", ")))")
        }
        if let json = o.preprocessor_json {
            let data = Data(String(cString: json).utf8)
            guard (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
                throw ABIError.invalidArgument("preprocessor_json is not a JSON object")
            }
            preprocessorOverrides = data
        }
    }

    /// `base` with the overrides applied: both become JSON objects, the override's keys
    /// replace the base's, and the result is decoded (and so validated) again.
    func preprocessorConfig(over base: PreprocessorConfig) throws -> PreprocessorConfig {
        guard let preprocessorOverrides else { return base }
        do {
            let baseObject = try JSONSerialization.jsonObject(with: JSONEncoder().encode(base)) as? [String: Any] ?? [:]
            let overrides = try JSONSerialization.jsonObject(with: preprocessorOverrides) as? [String: Any] ?? [:]
            let merged = baseObject.merging(overrides) { _, new in new }
            return try JSONDecoder().decode(PreprocessorConfig.self, from: JSONSerialization.data(withJSONObject: merged))
        } catch {
            throw ABIError.invalidArgument("invalid preprocessing settings: \(error)")
        }
    }
}
