/// Which connection timeout passed (the `phase` label of `clipkit_connection_timeouts_total`).
enum ConnectionTimeoutKind: String, CaseIterable, Sendable {
    /// The request head did not arrive in time.
    case header
    /// The request body stopped arriving, or arrived too slowly.
    case body
    /// A kept-alive connection sent no next request in time.
    case idle
}
