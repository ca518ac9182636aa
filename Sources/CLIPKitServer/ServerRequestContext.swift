import Hummingbird

/// The request context of a clipkit server: Hummingbird's core context plus the request's timings.
public struct ServerRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// Filled by model routes, read by the middleware.
    let timings = RequestTimings()

    /// Creates the context of a new request.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}
