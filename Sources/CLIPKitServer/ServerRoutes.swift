import CLIPKit
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The server's route handlers.
struct ServerRoutes: Sendable {
    let service: InferenceService
    let bodyBudget: AdmissionBudget
    let connections: ConnectionLimiter

    init(service: InferenceService, connections: ConnectionLimiter) {
        self.service = service
        self.connections = connections
        bodyBudget = AdmissionBudget(capacity: service.configuration.maxBufferedBodyBytes)
    }

    private var configuration: ServerConfiguration { service.configuration }

    /// Adds every route to `router`.
    func register(on router: Router<ServerRequestContext>) {
        router.get("/") { _, _ in JSONResponse.text(WebPage.html, contentType: "text/html; charset=utf-8") }
        router.get("/health") { _, _ in health() }
        router.get("/info") { _, _ in info() }
        router.get("/metrics") { _, _ in
            let engine = service.engine
            var ready = false
            if case .ready = engine.modelState { ready = true }
            let text = service.metrics.render(queueDepth: engine.queuedImageCount, admitted: engine.admittedCount,
                                              modelReady: ready, openConnections: connections.openCount)
            return JSONResponse.text(text, contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/openapi.json") { _, _ in JSONResponse.text(OpenAPIDocument.json, contentType: "application/json") }

        let v1 = router.group("v1")
        if let key = configuration.apiKey { v1.add(middleware: APIKeyMiddleware(key: key)) }
        v1.post("classify") { request, context in
            try await withBody(request) { body in try await classify(request, body: body, context: context) }
        }
        v1.post("embeddings") { request, context in
            try await withBody(request) { body in try await embeddings(request, body: body, context: context) }
        }
    }

    // MARK: Handlers

    private func health() -> Response {
        switch service.engine.modelState {
        case .ready: return JSONResponse.make(["status": "ok"])
        case .loading: return ServerMiddleware.errorResponse(.modelLoading)
        case .failed(let reason): return ServerMiddleware.errorResponse(.modelUnavailable(reason))
        }
    }

    private func info() -> Response {
        var model: InfoResponse.Model?
        if case .ready(let pipeline) = service.engine.modelState {
            let vision = pipeline.model.visionInput
            model = .init(embeddingDimensions: pipeline.embeddingSize, imageSize: vision.imageSize,
                          patchSize: vision.patchSize, contextLength: pipeline.model.textContextLength)
        }
        let limits = InfoResponse.Limits(
            maxBatch: configuration.maxBatch, maxWaitMs: seconds(configuration.maxWait) * 1000,
            maxQueue: configuration.maxQueue, maxBodyBytes: configuration.maxBodyBytes,
            maxLabels: configuration.maxLabels, maxPixelCount: configuration.maxPixelCount,
            maxTextLength: configuration.maxTextLength, requestTimeoutMs: seconds(configuration.requestTimeout) * 1000)
        return JSONResponse.make(InfoResponse(
            modelID: configuration.modelID, ready: model != nil, model: model, precision: configuration.precision,
            limits: limits, version: ServerVersion.current, authentication: configuration.apiKey != nil))
    }

    private func classify(_ request: Request, body: ByteBuffer, context: ServerRequestContext) async throws -> Response {
        let deadline = try deadline(for: request)
        let job: ClassificationJob
        var huggingFace = false
        let contentType = request.headers[.contentType] ?? "application/json"
        if let boundary = MultipartForm.boundary(fromContentType: contentType) {
            job = try Self.job(from: MultipartForm(body: Data(buffer: body), boundary: boundary))
        } else if Self.isJSON(contentType) {
            let parsed: ClassifyRequest = try Self.decode(body)
            huggingFace = parsed.isHuggingFaceShape
            job = try parsed.job()
        } else {
            throw ServerError.unsupportedMediaType(contentType)
        }
        let results = try await service.classify(job, deadline: deadline, timings: context.timings,
                                                 connection: context.connection)
        if huggingFace {
            let lists = try results.map { try $0.get() }
            return job.singleInput ? JSONResponse.make(lists[0]) : JSONResponse.make(lists)
        }
        let items = results.map { result -> ClassifyItem in
            switch result {
            case .success(let scores):
                return .success(label: scores.first?.label ?? "", score: scores.first?.score ?? 0, scores: scores)
            case .failure(let error):
                return .failure(error.body)
            }
        }
        return JSONResponse.make(ClassifyResponse(results: items, model: configuration.modelID))
    }

    private func embeddings(_ request: Request, body: ByteBuffer, context: ServerRequestContext) async throws -> Response {
        let deadline = try deadline(for: request)
        let contentType = request.headers[.contentType] ?? "application/json"
        guard Self.isJSON(contentType) else { throw ServerError.unsupportedMediaType(contentType) }
        let parsed: EmbeddingsRequest = try Self.decode(body)
        return JSONResponse.make(try await service.embeddings(parsed, deadline: deadline, timings: context.timings,
                                                              connection: context.connection))
    }

    // MARK: Helpers

    /// The request's deadline: the server's timeout, shortened by `X-Request-Timeout-Ms` if given.
    private func deadline(for request: Request) throws -> ContinuousClock.Instant {
        var timeout = configuration.requestTimeout
        if let header = request.headers[HeaderNames.requestTimeout] {
            guard let ms = Int(header.trimmingCharacters(in: .whitespaces)), ms >= 1 else {
                throw ServerError.badRequest(code: "invalid_timeout",
                                             message: "X-Request-Timeout-Ms must be a positive whole number of milliseconds")
            }
            timeout = min(timeout, .milliseconds(min(ms, 86_400_000)))
        }
        return .now + timeout
    }

    /// Runs `handler` with the body, which is refused with 413 before it is read when
    /// Content-Length is over the limit, and as soon as the limit is passed otherwise (chunked
    /// bodies). Its bytes count against the buffered-body budget until `handler` returns.
    private func withBody(_ request: Request,
                          _ handler: (ByteBuffer) async throws -> Response) async throws -> Response {
        let limit = configuration.maxBodyBytes
        let length = request.headers[.contentLength].flatMap { Int($0) }
        if let length, length > limit { throw ServerError.bodyTooLarge(limit: limit) }
        let reservation = max(0, length ?? limit)
        try bodyBudget.reserve(reservation)
        defer { bodyBudget.release(reservation) }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw ServerError.bodyTooLarge(limit: limit)
        } catch is RequestBodyTimeout {
            throw ServerError.requestTimeout
        }
        return try await handler(body)
    }

    private static func isJSON(_ contentType: String) -> Bool {
        let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        // curl -d sends application/x-www-form-urlencoded unless told otherwise; its JSON is accepted.
        return type == "application/json" || type.hasSuffix("+json") || type.isEmpty || type == "text/plain"
            || type == "application/x-www-form-urlencoded"
    }

    private static func decode<T: Decodable>(_ body: ByteBuffer) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: body))
        } catch let error as DecodingError {
            throw ServerError.invalidJSON(describe(error))
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "" : " at \(keys.joined(separator: "."))"
        }
        switch error {
        case .dataCorrupted(let context): return "malformed JSON\(path(context))"
        case .keyNotFound(let key, let context): return "missing field '\(key.stringValue)'\(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type\(path(context)): \(context.debugDescription)"
        @unknown default: return "cannot decode"
        }
    }

    /// A classification job from form fields: files (or `image`/`images` fields), `labels`
    /// (repeatable; one per line also works), `template`, `top_k`.
    static func job(from form: MultipartForm) throws -> ClassificationJob {
        var images = [ClassificationJob.Image]()
        var labels = [String]()
        var template: String?
        var topK: Int?
        for part in form.parts {
            switch part.name {
            case "labels", "label", "labels[]":
                guard let text = part.text else { throw ServerError.badRequest(code: "invalid_multipart", message: "labels must be UTF-8") }
                labels += text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
                    .filter { !$0.isEmpty }
            case "template":
                template = part.text
            case "top_k":
                guard let value = part.text.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
                    throw ServerError.unprocessable(code: "invalid_top_k", message: "top_k must be a whole number")
                }
                topK = value
            default:
                if part.filename != nil || ["image", "images", "images[]", "file", "inputs"].contains(part.name) {
                    images.append(.bytes(name: part.filename ?? part.name, data: [UInt8](part.body)))
                }
            }
        }
        return ClassificationJob(images: images, labels: labels, templates: [template ?? "{}"], topK: topK,
                                 singleInput: false, usesDefaultTemplate: template == nil)
    }
}

/// The answer of `GET /info`.
struct InfoResponse: Encodable, Sendable {
    struct Model: Encodable, Sendable {
        let embeddingDimensions: Int
        let imageSize: Int
        let patchSize: Int
        let contextLength: Int

        enum CodingKeys: String, CodingKey {
            case embeddingDimensions = "embedding_dimensions"
            case imageSize = "image_size"
            case patchSize = "patch_size"
            case contextLength = "context_length"
        }
    }

    struct Limits: Encodable, Sendable {
        let maxBatch: Int
        let maxWaitMs: Double
        let maxQueue: Int
        let maxBodyBytes: Int
        let maxLabels: Int
        let maxPixelCount: Int
        let maxTextLength: Int
        let requestTimeoutMs: Double

        enum CodingKeys: String, CodingKey {
            case maxBatch = "max_batch"
            case maxWaitMs = "max_wait_ms"
            case maxQueue = "max_queue"
            case maxBodyBytes = "max_body_bytes"
            case maxLabels = "max_labels"
            case maxPixelCount = "max_pixel_count"
            case maxTextLength = "max_text_length"
            case requestTimeoutMs = "request_timeout_ms"
        }
    }

    let modelID: String
    let ready: Bool
    let model: Model?
    let precision: String
    let limits: Limits
    let version: String
    let authentication: Bool

    enum CodingKeys: String, CodingKey {
        case modelID = "model_id"
        case ready, model, precision, limits, version, authentication
    }
}
