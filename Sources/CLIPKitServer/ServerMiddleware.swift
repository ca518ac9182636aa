import Foundation
import HTTPTypes
import Hummingbird

/// The outermost middleware: turns every error into `{"error": {...}}`, adds the timing headers
/// to every answer, and counts requests and latency by route and status.
struct ServerMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext

    let metrics: ServerMetrics

    /// Route templates counted in metrics; any other path counts as `other`, so clients cannot
    /// create new series.
    static let knownRoutes: Set<String> = ["/", "/health", "/info", "/metrics", "/openapi.json",
                                           "/v1/classify", "/v1/embeddings"]

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as ServerError {
            response = Self.errorResponse(error)
        } catch let error as HTTPError where error.status == .notFound {
            response = Self.errorResponse(.notFound(request.uri.path))
        } catch let error as HTTPError where error.status == .methodNotAllowed {
            response = Self.errorResponse(.methodNotAllowed)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            response = Self.errorResponse(.bodyTooLarge(limit: 0))
        } catch is CancellationError {
            response = Self.errorResponse(.deadlineExceeded)
        } catch {
            response = Self.errorResponse(.internalError(String(describing: error)))
        }
        let (queue, inference, batch) = context.timings.values
        response.headers[HeaderNames.queueTime] = Self.milliseconds(queue)
        response.headers[HeaderNames.inferenceTime] = Self.milliseconds(inference)
        if batch > 0 { response.headers[HeaderNames.batchSize] = String(batch) }
        response.headers[HeaderNames.serverTiming] =
            "queue;dur=\(Self.milliseconds(queue)), inference;dur=\(Self.milliseconds(inference))"
        let path = request.uri.path
        let route = Self.knownRoutes.contains(path) ? path : "other"
        metrics.recordRequest(route: route, status: response.status.code, seconds: seconds(ContinuousClock.now - start))
        return response
    }

    static func milliseconds(_ seconds: Double) -> String {
        String(format: "%.3f", seconds * 1000)
    }

    /// The JSON answer for an error, with `Retry-After` when overloaded.
    static func errorResponse(_ error: ServerError) -> Response {
        var response = JSONResponse.make(ErrorEnvelope(error: error.body),
                                         status: HTTPResponse.Status(code: error.statusCode))
        switch error {
        case .overloaded(let seconds): response.headers[.retryAfter] = String(seconds)
        case .modelLoading, .shuttingDown: response.headers[.retryAfter] = "1"
        case .tooManyConnections:
            response.headers[.retryAfter] = "1"
            response.headers[.connection] = "close"
        case .bodyTooLarge, .requestTimeout: response.headers[.connection] = "close"
        case .unauthorized: response.headers[.wwwAuthenticate] = "Bearer"
        default: break
        }
        return response
    }
}

/// Header names of the server's own headers.
enum HeaderNames {
    // allowed: literal, valid header names
    static let queueTime = HTTPField.Name("X-Queue-Time-Ms")!
    static let inferenceTime = HTTPField.Name("X-Inference-Time-Ms")!  // allowed: literal, valid
    static let batchSize = HTTPField.Name("X-Batch-Size")!  // allowed: literal, valid
    static let serverTiming = HTTPField.Name("Server-Timing")!  // allowed: literal, valid
    static let requestTimeout = HTTPField.Name("X-Request-Timeout-Ms")!  // allowed: literal, valid
    static let apiKey = HTTPField.Name("X-API-Key")!  // allowed: literal, valid
}
