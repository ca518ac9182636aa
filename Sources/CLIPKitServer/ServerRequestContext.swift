import Hummingbird

/// The request context of a clipkit server: Hummingbird's core context plus the request's timings.
public struct ServerRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// Filled by model routes, read by the middleware.
    let timings = RequestTimings()
    /// The client's connection, checked before queued work reaches the model.
    let connection: ClientConnection

    /// Creates the context of a new request.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        connection = ClientConnection(channel: source.channel)
    }
}
