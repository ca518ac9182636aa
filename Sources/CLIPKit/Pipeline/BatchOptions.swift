import Foundation

/// How a batch run over many images is carried out.
public struct BatchOptions: Sendable {
    /// Images per call of the vision tower. At most two batches of pixels are held at once: the
    /// one running and the one being decoded.
    public var batchSize: Int
    /// Images decoded at the same time while a batch is prepared.
    public var decodingConcurrency: Int
    /// How images are decoded (EXIF orientation, pixel limit).
    public var decoding: ImageDecodingOptions
    /// Called after each batch has run, on a task of the run (not the caller's). Keep it quick.
    public var progress: (@Sendable (BatchProgress) -> Void)?
    /// Forces how the next batch is decoded while one runs (tests); nil picks by the cores free.
    var overlap: DecodingOverlap?

    /// Batches of 8, decoding on every core.
    public init(batchSize: Int = 8, decodingConcurrency: Int = ProcessInfo.processInfo.activeProcessorCount,
                decoding: ImageDecodingOptions = .init(), progress: (@Sendable (BatchProgress) -> Void)? = nil) {
        self.batchSize = batchSize
        self.decodingConcurrency = decodingConcurrency
        self.decoding = decoding
        self.progress = progress
    }
}
