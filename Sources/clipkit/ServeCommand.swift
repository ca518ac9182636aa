import ArgumentParser
import CLIPKit
import CLIPKitServer
import Foundation

/// `clipkit serve`: the HTTP service (see docs/serve.md). Parses options, builds the app, runs it.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve zero-shot classification and embeddings over HTTP.",
        discussion: """
            Routes: POST /v1/classify, POST /v1/embeddings, GET /health, /info, /metrics, /openapi.json, and a \
            web page at /. Images are sent inline (data URI, base64 or multipart); URLs are never fetched. \
            SIGTERM or SIGINT stops accepting connections and lets in-flight requests finish.
            """)

    @Option(help: ArgumentHelp("Model folder or Hugging Face Hub id.", valueName: "id-or-dir"))
    var model = "openai/clip-vit-base-patch32"

    @Option(help: "Address to listen on (loopback by default).")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8080

    @Option(help: "Most images per vision-tower call.")
    var maxBatch = 32

    @Option(help: "Longest wait, in milliseconds, for a batch to fill.")
    var maxWaitMs = 5

    @Option(help: "Most images and texts in flight; more answers 503 with Retry-After.")
    var maxQueue = 256

    @Option(help: "Largest request body in MiB; larger answers 413.")
    var maxBodyMb = 20

    @Option(help: "Most candidate labels per request.")
    var maxLabels = 1000

    @Option(help: "Most label prompts (labels × templates) of uncached label sets computed at once; more answers 503.")
    var maxQueuedPrompts = 8192

    @Option(help: "Most open client connections; past it new ones are closed at once (a few more serve /health and /metrics).")
    var maxConnections = 1024

    @Option(help: "Milliseconds for a request head to arrive (from the connection's start or the request's first byte); then 408.")
    var headerTimeoutMs = 30_000

    @Option(help: "Longest pause, in milliseconds, while a request body arrives; then 408.")
    var bodyTimeoutMs = 60_000

    @Option(help: "Slowest average body rate in bytes per second once --body-timeout-ms has passed (0: no check).")
    var minBodyRate = 1024

    @Option(help: "Milliseconds a kept-alive connection may wait for its next request before it is closed.")
    var idleTimeoutMs = 60_000

    @Option(help: "Most decoded pixels per image (width × height).")
    var maxPixels = 40_000_000

    @Option(help: "Request deadline in milliseconds; clients may shorten it with X-Request-Timeout-Ms.")
    var timeoutMs = 30_000

    @Option(help: "Seconds to let in-flight requests finish after SIGTERM/SIGINT.")
    var drainSeconds = 30

    @Option(help: ArgumentHelp("Key clients must send (Authorization: Bearer KEY); default $CLIPKIT_API_KEY.",
                               valueName: "key"))
    var apiKey: String?

    @Option(help: "Threads for matrix products (default: all cores).")
    var threads: Int?

    @Flag(help: "Ignore EXIF orientation.")
    var noExif = false

    @Option(help: "Arithmetic of the encoder layers: fp32 (exact), bf16 or int8 (faster; see `clipkit check-precision`).")
    var precision: Precision = .fp32

    func validate() throws {
        for (value, name) in [(maxBatch, "--max-batch"), (maxQueue, "--max-queue"), (maxBodyMb, "--max-body-mb"),
                              (maxLabels, "--max-labels"), (maxPixels, "--max-pixels"), (timeoutMs, "--timeout-ms"),
                              (maxQueuedPrompts, "--max-queued-prompts"), (maxConnections, "--max-connections"),
                              (headerTimeoutMs, "--header-timeout-ms"), (bodyTimeoutMs, "--body-timeout-ms"),
                              (idleTimeoutMs, "--idle-timeout-ms")]
        where value < 1 {
            throw ValidationError("\(name) must be at least 1")
        }
        guard minBodyRate >= 0 else { throw ValidationError("--min-body-rate must not be negative") }
        guard maxWaitMs >= 0, drainSeconds >= 0 else { throw ValidationError("--max-wait-ms and --drain-seconds must not be negative") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        guard maxBodyMb <= 4096 else { throw ValidationError("--max-body-mb must be at most 4096") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() async throws {
        if let threads { CLIPKitRuntime.setThreadCount(threads) }
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.maxBatch = maxBatch
        configuration.maxWait = .milliseconds(maxWaitMs)
        configuration.maxQueue = maxQueue
        configuration.maxBodyBytes = maxBodyMb * 1024 * 1024
        configuration.maxLabels = maxLabels
        configuration.maxQueuedPrompts = maxQueuedPrompts
        configuration.maxConnections = maxConnections
        configuration.headerTimeout = .milliseconds(headerTimeoutMs)
        configuration.bodyTimeout = .milliseconds(bodyTimeoutMs)
        configuration.minBodyBytesPerSecond = minBodyRate
        configuration.idleTimeout = .milliseconds(idleTimeoutMs)
        configuration.maxPixelCount = maxPixels
        configuration.requestTimeout = .milliseconds(timeoutMs)
        configuration.apiKey = apiKey ?? ProcessInfo.processInfo.environment["CLIPKIT_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        configuration.appliesEXIFOrientation = !noExif
        configuration.modelID = model
        configuration.precision = precision.rawValue
        if let threads { configuration.decodeConcurrency = threads }

        let model = self.model
        let precision = self.precision
        let host = self.host
        let application = try CLIPServer.application(configuration: configuration, onListening: { port in
            Console.writeError("clipkit serve: listening on http://\(host):\(port) (model \(model))\n")
        }, load: {
            do {
                return try await CLIPPipeline.load(model, precision: precision)
            } catch {
                Console.warn("cannot load model '\(model)': \(describe(error))")
                throw error
            }
        })
        try await CLIPServer.run(application, drainTimeout: .seconds(drainSeconds))
        Console.writeError("clipkit serve: stopped\n")
    }
}
