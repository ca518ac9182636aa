import NIOCore

/// Whether the client that sent a request is still connected, so queued work for a client that
/// went away is dropped before it reaches the model.
///
/// The flag is set by the channel's close future, not read from `isActive` when the request
/// starts: on a loaded machine a client can reset its connection before the handler runs, and
/// such a request must count as gone at once. A client that half-closes its connection is
/// closed by ``ConnectionGuardHandler``, so it counts as gone too. In-process test channels
/// never close while a request is handled, so they never count as gone.
struct ClientConnection: Sendable {
    private let closed: Locked<Bool>?

    init(channel: any Channel) {
        let closed = Locked(false)
        channel.closeFuture.whenComplete { _ in closed.withLock { $0 = true } }
        self.closed = closed
    }

    private init() {
        closed = nil
    }

    /// A connection that never goes away (work not tied to one client).
    static let detached = ClientConnection()

    /// Whether the client has closed its connection.
    var isGone: Bool {
        closed?.withLock { $0 } ?? false
    }
}
