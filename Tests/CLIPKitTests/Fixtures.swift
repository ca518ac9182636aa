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

    /// How far two runs of the engine may disagree on one output element (a probability, a cosine,
    /// an embedding component) when the order of the labels or the other items of a batch differ
    /// (docs/deviations.md, "Batch and label order"): the products see each row at another position
    /// and BLAS kernels sum edge rows in another order (measured up to 2.4e-6 in a probability with
    /// OpenBLAS's Haswell kernel, 1.8e-7 with its AVX-512 kernels). The promise is the parity budget
    /// against transformers; a misplaced row or label moves results by orders of magnitude more.
    static let runToRun: Float = 1e-5
}
