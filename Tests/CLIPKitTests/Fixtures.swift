import Foundation

/// Locations of the committed test fixtures (written by `scripts/make_fixtures.py`).
enum Fixtures {
    /// `Tests/Fixtures`, found from this source file so tests need no bundle resources.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // CLIPKitTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures", isDirectory: true)

    /// A fixture file or folder by its path relative to `Tests/Fixtures`.
    static func url(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }
}
