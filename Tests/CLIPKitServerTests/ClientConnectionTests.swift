@testable import CLIPKitServer
import NIOCore
import NIOEmbedded
import Testing

@Suite("Client connection tracking")
struct ClientConnectionTests {
    @Test("a connection that closes while its request is handled counts as gone")
    func closesDuringRequest() async throws {
        let channel = EmbeddedChannel()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).get()
        let connection = ClientConnection(channel: channel)
        #expect(!connection.isGone)
        try await channel.close().get()
        channel.embeddedEventLoop.run()  // close callbacks run on the channel's event loop
        #expect(connection.isGone)
    }

    /// On a loaded machine a client can reset its connection before the handler creates the
    /// request's context; that request's work must still be dropped.
    @Test("a connection already closed when the request starts counts as gone")
    func closedBeforeRequest() async throws {
        let channel = EmbeddedChannel()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).get()
        try await channel.close().get()
        let connection = ClientConnection(channel: channel)
        channel.embeddedEventLoop.run()
        #expect(connection.isGone)
    }

    @Test("an open connection and detached work never count as gone")
    func openAndDetached() async throws {
        let channel = EmbeddedChannel()
        #expect(!ClientConnection(channel: channel).isGone)
        #expect(!ClientConnection.detached.isGone)
        _ = try channel.finish()
    }
}
