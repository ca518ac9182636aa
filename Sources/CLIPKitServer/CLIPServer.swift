import CLIPKit
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// Builds the clipkit HTTP service: routes, dynamic batcher, limits, metrics.
///
/// Run the result with `runService()` (graceful shutdown on SIGTERM/SIGINT), or test it
/// in-process with HummingbirdTesting's `app.test(.router)`.
public enum CLIPServer {
    /// An application serving `pipeline`, already loaded (`/health` is 200 at once).
    public static func application(configuration: ServerConfiguration, pipeline: CLIPPipeline,
                                   logger: Logger? = nil,
                                   onListening: @escaping @Sendable (Int) async -> Void = { _ in })
        throws -> some ApplicationProtocol {
        try make(configuration: configuration, logger: logger, onListening: onListening) { engine in
            engine.setReady(pipeline)
            return nil
        }
    }

    /// An application that starts answering at once and loads its model with `load` in the
    /// background (`/health` and model routes answer 503 until it is loaded).
    /// `onListening` receives the bound port once the server accepts connections.
    public static func application(configuration: ServerConfiguration, logger: Logger? = nil,
                                   onListening: @escaping @Sendable (Int) async -> Void = { _ in },
                                   load: @escaping @Sendable () async throws -> CLIPPipeline) throws -> some ApplicationProtocol {
        try make(configuration: configuration, logger: logger, onListening: onListening) { _ in load }
    }

    /// Runs `application` until SIGTERM or SIGINT, then stops accepting connections, lets
    /// in-flight requests finish (for at most `drainTimeout`) and returns.
    public static func run(_ application: some ApplicationProtocol, drainTimeout: Duration,
                           logger: Logger = Logger(label: "clipkit.serve")) async throws {
        var configuration = ServiceGroupConfiguration(services: [application],
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = drainTimeout
        try await ServiceGroup(configuration: configuration).run()
    }

    private static func make(configuration: ServerConfiguration, logger: Logger?,
                             onListening: @escaping @Sendable (Int) async -> Void,
                             setUp: (InferenceEngine) -> (@Sendable () async throws -> CLIPPipeline)?)
        throws -> Application<RouterResponder<ServerRequestContext>> {
        try configuration.validate()
        let logger = logger ?? Logger(label: "clipkit.serve")
        let metrics = ServerMetrics()
        let service = InferenceService(configuration: configuration, metrics: metrics)
        let load = setUp(service.engine)
        let limiter = ConnectionLimiter(maxConnections: connectionLimit(configuration, logger: logger),
                                        operatorConnections: configuration.operatorConnections)
        let router = Router(context: ServerRequestContext.self)
        router.add(middleware: ServerMiddleware(metrics: metrics))
        ServerRoutes(service: service, connections: limiter).register(on: router)
        return Application(
            router: router,
            server: .clipkit(settings: .init(configuration), limiter: limiter, metrics: metrics),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                 serverName: "clipkit/\(ServerVersion.current)"),
            services: [ModelLoaderService(engine: service.engine, load: load)],
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }

    /// Descriptors kept free for everything but client connections: model files, the listener,
    /// standard streams, the runtime's own.
    static let reservedDescriptors = 64

    /// `maxConnections`, lowered (with a warning) when the process's descriptor limit, raised as
    /// far as the system allows, cannot hold that many connections.
    private static func connectionLimit(_ configuration: ServerConfiguration, logger: Logger) -> Int {
        let wanted = configuration.maxConnections
        guard let descriptors = DescriptorLimit.raiseSoftLimit() else { return wanted }
        let available = descriptors - reservedDescriptors - configuration.operatorConnections
        guard wanted > available else { return wanted }
        let limit = max(1, available)
        logger.warning("max-connections \(wanted) is more than the descriptor limit allows (\(descriptors)); using \(limit)")
        return limit
    }
}
