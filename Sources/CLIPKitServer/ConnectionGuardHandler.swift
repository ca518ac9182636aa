import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// The per-connection policy of a clipkit server, on HTTP parts between Hummingbird's codec and
/// its request handling:
///
/// - **Header timeout**: a request head must be complete within ``Settings/headerTimeout`` of the
///   connection opening (first request) or of its first byte (later requests). Past it the client
///   is answered 408 if it had sent part of a head, and the connection is closed.
/// - **Body timeout and minimum rate**: a body must not pause longer than ``Settings/bodyTimeout``,
///   and after that long it must have arrived at ``Settings/minBodyBytesPerSecond`` on average
///   since its start (so a client trickling a byte now and then cannot hold the connection).
///   Past it the request's handler sees ``RequestBodyTimeout`` while reading the body and answers
///   408; if the answer had already started, the connection is closed.
/// - **Idle timeout**: a kept-alive connection with no request in progress is closed after
///   ``Settings/idleTimeout``.
/// - **Operator-only connections** (admitted past the connection limit): only `/health` and
///   `/metrics` are served, once; anything else is answered 503 with `Retry-After`.
/// - **Closing after an answer** with `Connection: close` (413, 408, operator-only): the output is
///   shut down and what the client still sends is read and dropped for ``Settings/lingerTimeout``,
///   so the client reads the answer instead of a reset.
/// - **Half-close**: a client that shuts down its sending side (FIN) counts as gone, as for a
///   reset (nginx treats it the same way, as 499): the connection is closed at once, so images it
///   still has queued are dropped before the model.
///
/// One deadline is armed at a time, as an event-loop scheduled task. Reads only move deadlines
/// later, so the task checks the deadline again when it fires instead of being moved on every read.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The timeouts, from ``ServerConfiguration``.
    struct Settings: Sendable {
        var headerTimeout: TimeAmount
        var bodyTimeout: TimeAmount
        var idleTimeout: TimeAmount
        var lingerTimeout: TimeAmount
        /// 0: no rate check.
        var minBodyBytesPerSecond: Int

        init(_ configuration: ServerConfiguration) {
            headerTimeout = TimeAmount(configuration.headerTimeout)
            bodyTimeout = TimeAmount(configuration.bodyTimeout)
            idleTimeout = TimeAmount(configuration.idleTimeout)
            lingerTimeout = TimeAmount(configuration.lingerTimeout)
            minBodyBytesPerSecond = configuration.minBodyBytesPerSecond
        }
    }

    /// Paths an operator-only connection may ask for.
    static let operatorPaths: Set<String> = ["/health", "/metrics"]
    /// Longest header timeout of an operator-only connection, so stalled clients cannot keep the
    /// few operator slots for long.
    static let operatorHeaderTimeout = TimeAmount.seconds(5)

    private enum Phase {
        /// Waiting for a request head; `started` is when the connection opened (first request) or
        /// when the head's first byte arrived (later requests), `nil` while no byte has.
        case awaitingHead(started: NIODeadline?)
        /// Reading a request body that started at `started`; `bytes` of it arrived so far.
        case readingBody(started: NIODeadline, lastRead: NIODeadline, bytes: Int)
        /// The body stalled and the request's handler was told; waiting for its 408.
        case timedOut(since: NIODeadline)
        /// The last answer was written and the output shut down; reading until the client closes.
        case lingering(since: NIODeadline)
    }

    private enum Expiry {
        case header, body, idle, answer, linger
    }

    private let settings: Settings
    private let admission: ConnectionLimiter.Admission
    private let metrics: ServerMetrics

    private var phase: Phase = .awaitingHead(started: nil)
    /// When the wait for the next request head began (the end of the previous answer).
    private var idleSince = NIODeadline.now()
    /// Whether any byte of the awaited request head arrived.
    private var headBytesArrived = false
    /// Request heads read whose answer has not ended.
    private var unanswered = 0
    /// Whether an answer's head was written and its end not yet.
    private var answering = false
    /// Whether the connection closes once the current answer ends.
    private var closesAfterAnswer = false
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?

    init(settings: Settings, admission: ConnectionLimiter.Admission, metrics: ServerMetrics) {
        self.settings = settings
        self.admission = admission
        self.metrics = metrics
    }

    private var headerTimeout: TimeAmount {
        admission == .full ? settings.headerTimeout : min(settings.headerTimeout, Self.operatorHeaderTimeout)
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        // The first request's head is timed from the connection's start.
        phase = .awaitingHead(started: .now())
        rearm(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
    }

    func channelActive(context: ChannelHandlerContext) {
        if admission == .refused {
            metrics.recordRefusedConnection()
            context.close(promise: nil)
            return
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let read = event as? ConnectionReadHandler.BytesRead {
            bytesRead(read.count, context: context)
        } else if event as? ChannelEvent == .inputClosed {
            // The client will send nothing more: it is gone unless it was only idle or lingering.
            switch phase {
            case .awaitingHead where unanswered == 0, .lingering: break
            default: metrics.recordHalfClosedRequest()
            }
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    // MARK: Reading

    private func bytesRead(_ count: Int, context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        switch phase {
        case .awaitingHead(let started):
            headBytesArrived = true
            if started == nil {
                phase = .awaitingHead(started: now)
                rearm(context)
            }
        case .readingBody(let started, _, let bytes):
            phase = .readingBody(started: started, lastRead: now, bytes: bytes)
        case .timedOut, .lingering:
            break
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch phase {
        case .timedOut, .lingering:
            return  // the request's handler has its answer or was told the body timed out
        case .awaitingHead, .readingBody:
            break
        }
        let now = NIODeadline.now()
        switch part {
        case .head(let head):
            unanswered += 1
            phase = .readingBody(started: now, lastRead: now, bytes: 0)
            if admission != .full {
                closesAfterAnswer = true
                if !Self.operatorPaths.contains(Self.path(of: head)) {
                    metrics.recordRefusedConnection()
                    writeAnswer(.tooManyConnections, context: context)
                    return
                }
            }
            rearm(context)
        case .body(let buffer):
            if case .readingBody(let started, _, let bytes) = phase {
                let (sum, overflow) = bytes.addingReportingOverflow(buffer.readableBytes)
                phase = .readingBody(started: started, lastRead: now, bytes: overflow ? .max : sum)
            }
        case .end:
            phase = .awaitingHead(started: nil)
            headBytesArrived = false
            idleSince = now
            rearm(context)
        }
        context.fireChannelRead(data)
    }

    // MARK: Writing

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.kind != .informational:
            answering = true
            if head.headerFields[.connection]?.lowercased() == "close" { closesAfterAnswer = true }
            if closesAfterAnswer, head.headerFields[.connection] == nil {
                head.headerFields[.connection] = "close"
                context.write(wrapOutboundOut(.head(head)), promise: promise)
                return
            }
            context.write(data, promise: promise)
        case .head, .body:
            context.write(data, promise: promise)
        case .end:
            context.write(data, promise: promise)
            answerEnded(context: context)
        }
    }

    private func answerEnded(context: ChannelHandlerContext) {
        answering = false
        unanswered = max(0, unanswered - 1)
        if closesAfterAnswer {
            context.flush()
            linger(context)
            return
        }
        if case .awaitingHead(started: nil) = phase { idleSince = .now() }
        rearm(context)
    }

    /// Writes a whole error answer from here (no request handler is involved), then lingers.
    private func writeAnswer(_ error: ServerError, context: ChannelHandlerContext) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = (try? encoder.encode(ErrorEnvelope(error: error.body))) ?? Data()
        var head = HTTPResponse(status: HTTPResponse.Status(code: error.statusCode))
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.contentLength] = String(body.count)
        head.headerFields[.connection] = "close"
        if error == .tooManyConnections { head.headerFields[.retryAfter] = "1" }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        unanswered = max(0, unanswered - 1)
        linger(context)
    }

    /// Shuts the output down after the last answer and keeps reading (and dropping) what the
    /// client still sends, until it closes or the linger timeout passes.
    private func linger(_ context: ChannelHandlerContext) {
        phase = .lingering(since: .now())
        context.close(mode: .output, promise: nil)
        rearm(context)
    }

    // MARK: Deadlines

    /// The deadline of the current phase and what passing it means; `nil` while a request is
    /// being handled (its own deadline bounds it) or a pipelined request waits behind another.
    private func currentDeadline() -> (NIODeadline, Expiry)? {
        switch phase {
        case .awaitingHead(let started):
            guard unanswered == 0 else { return nil }
            if let started { return (started + headerTimeout, .header) }
            return (idleSince + settings.idleTimeout, .idle)
        case .readingBody(let started, let lastRead, let bytes):
            // With an earlier request still being answered the server is not reading this body.
            guard unanswered <= 1 else { return nil }
            var deadline = lastRead + settings.bodyTimeout
            if settings.minBodyBytesPerSecond > 0 {
                // The body must have come at the minimum rate once the body timeout has passed.
                let earned = min(Double(bytes) / Double(settings.minBodyBytesPerSecond), 1e9)
                deadline = min(deadline, started + settings.bodyTimeout + .nanoseconds(Int64(earned * 1e9)))
            }
            return (deadline, .body)
        case .timedOut(let since):
            return (since + settings.lingerTimeout, .answer)
        case .lingering(let since):
            return (since + settings.lingerTimeout, .linger)
        }
    }

    /// Arms the timer for the current deadline (or none).
    private func rearm(_ context: ChannelHandlerContext) {
        guard let (deadline, _) = currentDeadline() else {
            cancelTimer()
            return
        }
        if timerDeadline == deadline { return }
        cancelTimer()
        timerDeadline = deadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            timerDeadline = nil
            expire(context)
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
        timerDeadline = nil
    }

    /// Acts on a passed deadline, or arms the timer again if reads moved it.
    private func expire(_ context: ChannelHandlerContext) {
        guard let (deadline, expiry) = currentDeadline() else { return }
        guard NIODeadline.now() >= deadline else {
            rearm(context)
            return
        }
        switch expiry {
        case .idle:
            metrics.recordConnectionTimeout(.idle)
            context.close(promise: nil)
        case .header:
            metrics.recordConnectionTimeout(.header)
            if headBytesArrived {
                closesAfterAnswer = true
                writeAnswer(.requestTimeout, context: context)
            } else {
                context.close(promise: nil)
            }
        case .body:
            metrics.recordConnectionTimeout(.body)
            if answering || unanswered == 0 {
                // The answer has started or was sent (e.g. 413 before the body): nothing more to say.
                context.close(promise: nil)
            } else {
                // The handler is reading the body: it answers 408 (Connection: close).
                closesAfterAnswer = true
                phase = .timedOut(since: .now())
                context.fireErrorCaught(RequestBodyTimeout())
                rearm(context)
            }
        case .answer, .linger:
            context.close(promise: nil)
        }
    }

    private static func path(of head: HTTPRequest) -> String {
        let target = head.path ?? "/"
        return String(target.prefix { $0 != "?" && $0 != "#" })
    }
}

/// Thrown to a request's body reader when the body stopped arriving (see ``ConnectionGuardHandler``).
struct RequestBodyTimeout: Error {}
