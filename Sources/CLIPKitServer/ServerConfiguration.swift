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
    /// Most label prompts (labels × templates of label sets not yet cached) waiting for or in the
    /// text tower at once, across requests; past it, 503 with `Retry-After`.
    public var maxQueuedPrompts = 8192
    /// Most decoded pixels (width × height) per image, checked before the pixels are allocated.
    public var maxPixelCount = 40_000_000
    /// Longest text or label, in characters (CLIP reads at most 77 tokens anyway).
    public var maxTextLength = 2000
    /// Server-side deadline of every request; a client may only shorten it.
    public var requestTimeout: Duration = .seconds(30)
    /// Most open client connections that may send any request. Past it, up to
    /// ``operatorConnections`` more are accepted for `/health` and `/metrics` only (other requests
    /// answered 503 with `Retry-After`); beyond those, a new connection is closed at once.
    public var maxConnections = 1024
    /// Connections accepted past ``maxConnections`` for `/health` and `/metrics` only.
    public var operatorConnections = 16
    /// Longest time from a connection's start (or a request's first byte on a kept-alive
    /// connection) until its request head is complete; then 408, or a close if nothing was sent.
    public var headerTimeout: Duration = .seconds(30)
    /// Longest pause between two reads of a request body; then 408 (or a close once the answer
    /// has started).
    public var bodyTimeout: Duration = .seconds(60)
    /// Slowest average body rate in bytes per second: after ``bodyTimeout`` a body must have
    /// arrived at this rate since its start, so a client trickling bytes cannot hold a connection.
    /// 0 turns the rate check off.
    public var minBodyBytesPerSecond = 1024
    /// Longest time a kept-alive connection may wait for its next request before it is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// Longest time a connection closed after an answer keeps reading what its client still sends,
    /// so the client reads the answer before the socket closes.
    public var lingerTimeout: Duration = .seconds(2)
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
            (maxQueuedPrompts >= 1, "max-queued-prompts must be at least 1"),
            (maxConnections >= 1, "max-connections must be at least 1"),
            (operatorConnections >= 0, "the operator connections must not be negative"),
            (headerTimeout > .zero, "the header timeout must be positive"),
            (bodyTimeout > .zero, "the body timeout must be positive"),
            (idleTimeout > .zero, "the idle timeout must be positive"),
            (lingerTimeout >= .zero, "the linger timeout must not be negative"),
            (minBodyBytesPerSecond >= 0, "the minimum body rate must not be negative"),
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
