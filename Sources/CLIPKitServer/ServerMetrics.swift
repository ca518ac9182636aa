import Foundation

/// The server's counters and histograms, written as Prometheus text by `GET /metrics`.
///
/// Label values come from a fixed set (route templates, status codes), so the number of series
/// cannot grow with what clients send.
final class ServerMetrics: Sendable {
    private struct RouteStatus: Hashable {
        let route: String
        let status: Int
    }

    private struct State {
        var requests: [RouteStatus: UInt64] = [:]
        var latency: [String: Histogram] = [:]
        var batchSizes = Histogram(bounds: [1, 2, 4, 8, 16, 32, 64, 128, 256])
        var batchSeconds = Histogram(bounds: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
        var images: UInt64 = 0
        var dropped: UInt64 = 0
        var connectionTimeouts: [ConnectionTimeoutKind: UInt64] = [:]
        var refusedConnections: UInt64 = 0
        var halfClosedRequests: UInt64 = 0
        /// (time, images) of recent batches, for the images-per-second gauge.
        var recent: [(Double, Int)] = []
    }

    static let latencyBounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
    /// Window of the images-per-second gauge, in seconds.
    static let rateWindow = 10.0

    private let state = Locked(State())
    private let start = ContinuousClock.now

    private func now() -> Double { seconds(ContinuousClock.now - start) }

    /// Counts one answered request and its latency. `route` must come from a fixed set.
    func recordRequest(route: String, status: Int, seconds: Double) {
        state.withLock { state in
            state.requests[RouteStatus(route: route, status: status), default: 0] &+= 1
            state.latency[route, default: Histogram(bounds: Self.latencyBounds)].observe(seconds)
        }
    }

    /// Counts one vision-tower call of `size` images.
    func recordBatch(size: Int, seconds: Double) {
        let time = now()
        state.withLock { state in
            state.batchSizes.observe(Double(size))
            state.batchSeconds.observe(seconds)
            state.images &+= UInt64(size)
            state.recent.append((time, size))
            state.recent.removeAll { $0.0 < time - Self.rateWindow }
        }
    }

    /// Counts items dropped before the model because their deadline passed or their client left.
    func recordDropped(count: Int) {
        state.withLock { $0.dropped &+= UInt64(count) }
    }

    /// Counts one connection closed (or answered 408) because a timeout passed.
    func recordConnectionTimeout(_ kind: ConnectionTimeoutKind) {
        state.withLock { $0.connectionTimeouts[kind, default: 0] &+= 1 }
    }

    /// Counts one connection refused past the connection limit (closed at once, or answered 503
    /// on an operator-only connection).
    func recordRefusedConnection() {
        state.withLock { $0.refusedConnections &+= 1 }
    }

    /// Counts one request abandoned because its client half-closed the connection.
    func recordHalfClosedRequest() {
        state.withLock { $0.halfClosedRequests &+= 1 }
    }

    /// Connection timeouts so far of `kind`.
    func connectionTimeoutCount(_ kind: ConnectionTimeoutKind) -> UInt64 {
        state.withLock { $0.connectionTimeouts[kind] ?? 0 }
    }

    /// Requests answered so far with `status` on `route`.
    func requestCount(route: String, status: Int) -> UInt64 {
        state.withLock { $0.requests[RouteStatus(route: route, status: status)] ?? 0 }
    }

    /// The Prometheus text exposition (format 0.0.4).
    func render(queueDepth: Int, admitted: Int, modelReady: Bool, openConnections: Int) -> String {
        let time = now()
        return state.withLock { state in
            var lines = [String]()
            lines.append("# HELP clipkit_requests_total HTTP requests answered, by route and status.")
            lines.append("# TYPE clipkit_requests_total counter")
            for (key, value) in state.requests.sorted(by: { ($0.key.route, $0.key.status) < ($1.key.route, $1.key.status) }) {
                lines.append("clipkit_requests_total{route=\"\(key.route)\",status=\"\(key.status)\"} \(value)")
            }
            lines.append("# HELP clipkit_request_duration_seconds Time from request to answer, by route.")
            lines.append("# TYPE clipkit_request_duration_seconds histogram")
            for (route, histogram) in state.latency.sorted(by: { $0.key < $1.key }) {
                lines += histogram.lines(name: "clipkit_request_duration_seconds", labels: "route=\"\(route)\"")
            }
            lines.append("# HELP clipkit_batch_size Images per vision-tower call.")
            lines.append("# TYPE clipkit_batch_size histogram")
            lines += state.batchSizes.lines(name: "clipkit_batch_size", labels: "")
            lines.append("# HELP clipkit_batch_duration_seconds Duration of each vision-tower call.")
            lines.append("# TYPE clipkit_batch_duration_seconds histogram")
            lines += state.batchSeconds.lines(name: "clipkit_batch_duration_seconds", labels: "")
            lines.append("# HELP clipkit_queue_depth Images waiting for a vision-tower call.")
            lines.append("# TYPE clipkit_queue_depth gauge")
            lines.append("clipkit_queue_depth \(queueDepth)")
            lines.append("# HELP clipkit_admitted_items Images and texts admitted and not yet answered.")
            lines.append("# TYPE clipkit_admitted_items gauge")
            lines.append("clipkit_admitted_items \(admitted)")
            lines.append("# HELP clipkit_images_total Images embedded by the vision tower.")
            lines.append("# TYPE clipkit_images_total counter")
            lines.append("clipkit_images_total \(state.images)")
            let windowed = state.recent.filter { $0.0 >= time - Self.rateWindow }.reduce(0) { $0 + $1.1 }
            let span = min(Self.rateWindow, max(time, 1e-3))
            lines.append("# HELP clipkit_images_per_second Images embedded per second over the last 10 s.")
            lines.append("# TYPE clipkit_images_per_second gauge")
            lines.append("clipkit_images_per_second \(Double(windowed) / span)")
            lines.append("# HELP clipkit_dropped_items_total Items dropped before the model: deadline passed or client disconnected.")
            lines.append("# TYPE clipkit_dropped_items_total counter")
            lines.append("clipkit_dropped_items_total \(state.dropped)")
            lines.append("# HELP clipkit_open_connections Client connections open now.")
            lines.append("# TYPE clipkit_open_connections gauge")
            lines.append("clipkit_open_connections \(openConnections)")
            lines.append("# HELP clipkit_connection_timeouts_total Connections answered 408 or closed because a request head, a body or the next request did not arrive in time.")
            lines.append("# TYPE clipkit_connection_timeouts_total counter")
            for kind in ConnectionTimeoutKind.allCases {
                lines.append("clipkit_connection_timeouts_total{phase=\"\(kind.rawValue)\"} \(state.connectionTimeouts[kind] ?? 0)")
            }
            lines.append("# HELP clipkit_refused_connections_total Connections refused past --max-connections (closed at once, or answered 503 on an operator-only connection).")
            lines.append("# TYPE clipkit_refused_connections_total counter")
            lines.append("clipkit_refused_connections_total \(state.refusedConnections)")
            lines.append("# HELP clipkit_half_closed_requests_total Requests abandoned because the client half-closed its connection.")
            lines.append("# TYPE clipkit_half_closed_requests_total counter")
            lines.append("clipkit_half_closed_requests_total \(state.halfClosedRequests)")
            lines.append("# HELP clipkit_model_ready 1 once the model is loaded.")
            lines.append("# TYPE clipkit_model_ready gauge")
            lines.append("clipkit_model_ready \(modelReady ? 1 : 0)")
            return lines.joined(separator: "\n") + "\n"
        }
    }
}

