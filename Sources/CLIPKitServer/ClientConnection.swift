import NIOCore

/// Whether the client that sent a request is still connected, so queued work for a client that
/// went away is dropped before it reaches the model.
struct ClientConnection: Sendable {
    private let channel: (any Channel)?
    /// Channels that were never active (in-process test channels) never count as gone.
    private let wasActive: Bool

    init(channel: any Channel) {
        self.channel = channel
        wasActive = channel.isActive
    }

    private init() {
        channel = nil
        wasActive = false
    }

    /// A connection that never goes away (work not tied to one client).
    static let detached = ClientConnection()

    /// Whether the client has closed its connection.
    var isGone: Bool {
        guard wasActive, let channel else { return false }
        return !channel.isActive
    }
}
