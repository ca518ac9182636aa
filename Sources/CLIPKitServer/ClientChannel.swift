import HummingbirdCore
import Logging
import NIOCore

/// The server's HTTP/1.1 connections: Hummingbird's `HTTP1Channel` with the connection limit and
/// ``ConnectionGuardHandler`` (timeouts, operator-only connections, half-close) in its pipeline.
///
/// A connection past the limit is still set up (failing the setup would stop the listener's
/// accept loop) and its guard closes it as soon as it is active.
struct ClientChannel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value

    let responder: HTTPChannelHandler.Responder
    let settings: ConnectionGuardHandler.Settings
    let limiter: ConnectionLimiter
    let metrics: ServerMetrics

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let admission = limiter.admit()
        if admission != .refused {
            channel.closeFuture.whenComplete { [limiter] _ in limiter.release(admission) }
        }
        do {
            try channel.pipeline.syncOperations.addHandler(ConnectionReadHandler())
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        let settings = settings
        let metrics = metrics
        let http = HTTP1Channel(responder: responder, configuration: .init(
            additionalChannelHandlers: [ConnectionGuardHandler(settings: settings, admission: admission, metrics: metrics)]))
        return http.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with clipkit's connection limit and timeouts.
    static func clipkit(settings: ConnectionGuardHandler.Settings, limiter: ConnectionLimiter,
                        metrics: ServerMetrics) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            ClientChannel(responder: responder, settings: settings, limiter: limiter, metrics: metrics)
        }
    }
}
