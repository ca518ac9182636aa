import Foundation

/// Everything a clipkit server answers with an error status, and a bad configuration.
///
/// Each case maps to an HTTP status, an error `type` and a stable machine-readable `code`; the
/// server writes them as `{"error": {"message", "type", "code"}}`.
public enum ServerError: LocalizedError, Equatable, Sendable {
    /// The request body is not valid JSON or does not have the documented shape. 400.
    case invalidJSON(String)
    /// The body is malformed in another way (e.g. a broken multipart form). 400.
    case badRequest(code: String, message: String)
    /// The request is well-formed but cannot be served as asked (labels, inputs, options). 422.
    case unprocessable(code: String, message: String)
    /// Every image of a request failed to decode. 422.
    case noValidImages
    /// The body is larger than the configured limit. 413.
    case bodyTooLarge(limit: Int)
    /// The content type is neither JSON nor multipart/form-data. 415.
    case unsupportedMediaType(String)
    /// The API key is missing or wrong. 401.
    case unauthorized
    /// The queue has no room for the request's items. 503 with `Retry-After`.
    case overloaded(retryAfterSeconds: Int)
    /// The connection was accepted past the connection limit, for `/health` and `/metrics` only.
    /// 503 with `Retry-After`; the connection closes.
    case tooManyConnections
    /// The model has not finished loading. 503.
    case modelLoading
    /// The model failed to load. 503.
    case modelUnavailable(String)
    /// The request's deadline passed before it was answered. 504.
    case deadlineExceeded
    /// The request head or body stopped arriving (see the connection timeouts). 408; the
    /// connection closes.
    case requestTimeout
    /// No such route. 404.
    case notFound(String)
    /// The route exists but not for this method. 405.
    case methodNotAllowed
    /// The server is shutting down. 503.
    case shuttingDown
    /// Inference failed. 500.
    case internalError(String)
    /// A server limit or setting is invalid (not an HTTP answer).
    case invalidConfiguration(String)

    public var errorDescription: String? {
        switch self {
        case .invalidJSON(let detail): "invalid JSON body: \(detail)"
        case .badRequest(_, let message): message
        case .unprocessable(_, let message): message
        case .noValidImages: "none of the images could be decoded"
        case .bodyTooLarge(let limit): "the request body is larger than the limit of \(limit) bytes"
        case .unsupportedMediaType(let type): "unsupported content type '\(type)'; send application/json or multipart/form-data"
        case .unauthorized: "missing or invalid API key"
        case .overloaded: "the server is at its queue limit; retry later"
        case .tooManyConnections: "the server is at its connection limit (this connection serves /health and /metrics only); retry later"
        case .modelLoading: "the model is still loading"
        case .modelUnavailable(let reason): "the model could not be loaded: \(reason)"
        case .deadlineExceeded: "the request deadline passed before it was answered"
        case .requestTimeout: "the request was not received in time"
        case .notFound(let path): "no route for \(path)"
        case .methodNotAllowed: "method not allowed for this route"
        case .shuttingDown: "the server is shutting down"
        case .internalError(let reason): "inference failed: \(reason)"
        case .invalidConfiguration(let reason): "invalid server configuration: \(reason)"
        }
    }

    /// The HTTP status code answered for this error.
    public var statusCode: Int {
        switch self {
        case .invalidJSON, .badRequest: 400
        case .unauthorized: 401
        case .notFound: 404
        case .methodNotAllowed: 405
        case .requestTimeout: 408
        case .bodyTooLarge: 413
        case .unsupportedMediaType: 415
        case .unprocessable, .noValidImages: 422
        case .internalError, .invalidConfiguration: 500
        case .overloaded, .tooManyConnections, .modelLoading, .modelUnavailable, .shuttingDown: 503
        case .deadlineExceeded: 504
        }
    }

    /// The error `type` field (OpenAI's vocabulary where it has one).
    public var type: String {
        switch self {
        case .invalidJSON, .badRequest, .unprocessable, .noValidImages, .bodyTooLarge, .unsupportedMediaType, .notFound,
             .methodNotAllowed:
            "invalid_request_error"
        case .unauthorized: "authentication_error"
        case .overloaded, .tooManyConnections, .modelLoading, .modelUnavailable, .shuttingDown: "overloaded_error"
        case .deadlineExceeded, .requestTimeout: "timeout_error"
        case .internalError, .invalidConfiguration: "server_error"
        }
    }

    /// The stable machine-readable `code` field.
    public var code: String {
        switch self {
        case .invalidJSON: "invalid_json"
        case .badRequest(let code, _): code
        case .unprocessable(let code, _): code
        case .noValidImages: "no_valid_images"
        case .bodyTooLarge: "body_too_large"
        case .unsupportedMediaType: "unsupported_media_type"
        case .unauthorized: "invalid_api_key"
        case .overloaded: "queue_full"
        case .tooManyConnections: "too_many_connections"
        case .modelLoading: "model_loading"
        case .modelUnavailable: "model_unavailable"
        case .deadlineExceeded: "deadline_exceeded"
        case .requestTimeout: "request_timeout"
        case .notFound: "not_found"
        case .methodNotAllowed: "method_not_allowed"
        case .shuttingDown: "shutting_down"
        case .internalError: "inference_failed"
        case .invalidConfiguration: "invalid_configuration"
        }
    }

    /// The JSON error object `{"message", "type", "code"}`.
    var body: ErrorBody {
        ErrorBody(message: errorDescription ?? "error", type: type, code: code)
    }
}

/// The `error` object of an error answer or of one failed item.
struct ErrorBody: Codable, Sendable, Equatable {
    let message: String
    let type: String
    let code: String
}

/// `{"error": {...}}`, the body of every error answer.
struct ErrorEnvelope: Codable, Sendable {
    let error: ErrorBody
}
