import Foundation

/// Reading whole files without Foundation's empty-file leak.
///
/// `Data(contentsOf:)` in swift-foundation (Swift 6.3.1) leaks a 4 KB buffer every time it reads
/// an empty file (found by the tokenizer fuzz target with LeakSanitizer; reproduced alone). A
/// folder of empty "images" would leak 4 KB each, so empty files are answered without it.
enum FileBytes {
    /// The contents of `url` (memory-mapped when `options` allow), an empty file read as `Data()`.
    static func read(_ url: URL, options: Data.ReadingOptions = []) throws -> Data {
        if let size = try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber,
           size.intValue == 0 {
            return Data()
        }
        return try Data(contentsOf: url, options: options)
    }
}
