import Foundation

/// Limits and settings of a clipkit server. Every limit bounds something a client controls.
public struct ServerConfiguration: Sendable {
    /// Address to bind; loopback by default.
    public var host = "127.0.0.1"
    /// TCP port; 0 picks a free one.
    public var port = 8080
    /// Most images per vision-tower call.
    public var maxBatch = 32
    /// Longest time the first image of a batch waits for more to arrive.
    public var maxWait: Duration = .milliseconds(5)
    /// Most images and texts admitted at once (queued, decoding or in the model), counted per item.
    public var maxQueue = 256
    /// Largest request body in bytes.
    public var maxBodyBytes = 20 * 1024 * 1024
    /// Most request-body bytes held in memory across all requests at once; past it, 503.
    public var maxBufferedBodyBytes = 256 * 1024 * 1024
    /// Most candidate labels per classification request.
    public var maxLabels = 1000
    /// Most decoded pixels (width × height) per image, checked before the pixels are allocated.
    public var maxPixelCount = 40_000_000
    /// Longest text or label, in characters (CLIP reads at most 77 tokens anyway).
    public var maxTextLength = 2000
    /// Server-side deadline of every request; a client may only shorten it.
    public var requestTimeout: Duration = .seconds(30)
    /// Required bearer key for `/v1/*` routes; `nil` means no authentication.
    public var apiKey: String?
    /// Label embeddings kept in the (template, labels) cache, counted in label rows.
    public var labelCacheRows = 20_000
    /// Images decoded at the same time across all requests.
    public var decodeConcurrency = ProcessInfo.processInfo.activeProcessorCount
    /// Whether EXIF orientation is applied when decoding.
    public var appliesEXIFOrientation = true
    /// The model id or folder, as given; reported by `/info` and `/v1/embeddings`.
    public var modelID = "openai/clip-vit-base-patch32"
    /// The model's precision (`fp32`, `bf16`, `int8`) reported by `/info`.
    public var precision = "fp32"

    /// The default configuration.
    public init() {}

    /// Checks that every limit is positive. Throws ``ServerError/invalidConfiguration(_:)``.
    public func validate() throws {
        let checks: [(Bool, String)] = [
            (maxBatch >= 1, "max-batch must be at least 1"),
            (maxQueue >= 1, "max-queue must be at least 1"),
            (maxBodyBytes >= 1, "max-body must be at least 1 byte"),
            (maxBufferedBodyBytes >= maxBodyBytes, "the buffered-body budget must hold at least one body"),
            (maxLabels >= 1, "max-labels must be at least 1"),
            (maxPixelCount >= 1, "the pixel limit must be at least 1"),
            (maxTextLength >= 1, "the text length limit must be at least 1"),
            (requestTimeout > .zero, "the request timeout must be positive"),
            (maxWait >= .zero, "max-wait must not be negative"),
            (decodeConcurrency >= 1, "decode concurrency must be at least 1"),
            (labelCacheRows >= 0, "the label cache size must not be negative"),
            (port >= 0 && port <= 65535, "the port must be in 0...65535"),
        ]
        for (ok, message) in checks where !ok { throw ServerError.invalidConfiguration(message) }
    }
}
