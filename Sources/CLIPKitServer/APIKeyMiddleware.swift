import Foundation
import Hummingbird

/// Requires the configured key as `Authorization: Bearer KEY` or `X-API-Key: KEY`.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext

    let key: String

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        var given = request.headers[HeaderNames.apiKey]
        if let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("bearer ") {
            given = String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        }
        guard let given, Self.constantTimeEqual(given, key) else { throw ServerError.unauthorized }
        return try await next(request, context)
    }

    /// Compares without an early exit, so timing does not reveal how much of the key matched.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }
}
