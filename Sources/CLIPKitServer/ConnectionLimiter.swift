/// Counts open client connections and decides what a new one may do.
///
/// Up to `maxConnections` connections may send any request. Past that, up to `operatorConnections`
/// more are accepted for `/health` and `/metrics` only, so operators can still look at a server
/// whose connections are all taken; any other connection is closed as soon as it opens. Nothing
/// that is already open is affected.
final class ConnectionLimiter: Sendable {
    /// What a new connection may do.
    enum Admission: Sendable, Equatable {
        /// Any request.
        case full
        /// `/health` and `/metrics` only; other requests are answered 503.
        case operatorOnly
        /// Nothing: the connection is closed at once.
        case refused
    }

    private struct Counts {
        var full = 0
        var operatorOnly = 0
    }

    private let maxConnections: Int
    private let operatorConnections: Int
    private let counts = Locked(Counts())

    init(maxConnections: Int, operatorConnections: Int) {
        self.maxConnections = maxConnections
        self.operatorConnections = operatorConnections
    }

    /// Connections open now (both kinds).
    var openCount: Int { counts.withLock { $0.full + $0.operatorOnly } }

    /// Admits a new connection. Each admission other than ``Admission/refused`` must be matched
    /// by ``release(_:)`` when the connection closes.
    func admit() -> Admission {
        counts.withLock { counts in
            if counts.full < maxConnections {
                counts.full += 1
                return .full
            }
            if counts.operatorOnly < operatorConnections {
                counts.operatorOnly += 1
                return .operatorOnly
            }
            return .refused
        }
    }

    /// Gives back the slot of a closed connection.
    func release(_ admission: Admission) {
        counts.withLock { counts in
            switch admission {
            case .full: counts.full = max(0, counts.full - 1)
            case .operatorOnly: counts.operatorOnly = max(0, counts.operatorOnly - 1)
            case .refused: break
            }
        }
    }
}
