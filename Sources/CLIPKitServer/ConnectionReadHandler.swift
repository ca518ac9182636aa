import NIOCore

/// The first handler of a client connection, before HTTP decoding: tells
/// ``ConnectionGuardHandler`` about every read, which it cannot see while a request head is
/// incomplete (the decoder emits nothing until the head ends), so a slow head and an idle
/// connection can be told apart.
final class ConnectionReadHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// A user event: `count` bytes were read from the client.
    struct BytesRead {
        let count: Int
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireUserInboundEventTriggered(BytesRead(count: unwrapInboundIn(data).readableBytes))
        context.fireChannelRead(data)
    }
}
