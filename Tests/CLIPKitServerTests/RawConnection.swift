import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP client on 127.0.0.1 with byte-level control (stalls, trickles, half-close) for the
/// connection tests. Its socket is non-blocking and waits sleep between polls, so a test never
/// blocks the cooperative threads the server's request handling runs on.
final class RawConnection {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private(set) var descriptor: Int32
    /// Bytes received so far.
    private(set) var received = [UInt8]()
    /// Whether the server closed its side (end of file or reset).
    private(set) var isClosedByServer = false

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(clamping: port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let error = errno
            Glibc.close(descriptor)
            throw Failure(description: "connect: errno \(error)")
        }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    /// The received bytes as text.
    var text: String { String(decoding: received, as: UTF8.self) }

    /// Sends `text`; returns whether all of it was sent (a closed connection refuses).
    @discardableResult
    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return sent == bytes.count
    }

    /// Shuts down the sending side (FIN), keeping the receiving side open.
    func shutdownSending() {
        _ = shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Closes the socket.
    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    /// Reads what has arrived without waiting; notes a close by the server.
    func poll() {
        guard descriptor >= 0, !isClosedByServer else { return }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received += buffer[0..<count]
                continue
            }
            if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) { isClosedByServer = true }
            return
        }
    }

    /// Waits (polling, at most `timeout`) until `condition` holds; returns whether it did.
    func wait(upTo timeout: Duration, until condition: (RawConnection) -> Bool) async throws -> Bool {
        let end = ContinuousClock.now + timeout
        while true {
            poll()
            if condition(self) { return true }
            if ContinuousClock.now >= end { return false }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Waits until the server closes the connection; returns whether it did within `timeout`.
    func waitUntilClosed(upTo timeout: Duration) async throws -> Bool {
        try await wait(upTo: timeout) { $0.isClosedByServer }
    }

    /// Sends `request` on a new connection and returns everything received until the server
    /// closes it (send `Connection: close`), waiting at most `timeout`.
    static func exchange(port: Int, _ request: String, upTo timeout: Duration = .seconds(30)) async throws -> String {
        let connection = try RawConnection(port: port)
        connection.send(request)
        _ = try await connection.waitUntilClosed(upTo: timeout)
        return connection.text
    }

    /// Waits until a whole answer with a `Content-Length` body has arrived, or the server closed
    /// the connection; returns whether either happened within `timeout`.
    func waitForAnswer(upTo timeout: Duration) async throws -> Bool {
        try await wait(upTo: timeout) { connection in
            let text = connection.text
            if connection.isClosedByServer { return true }
            guard let split = text.range(of: "\r\n\r\n") else { return false }
            let head = text[..<split.lowerBound].lowercased()
            guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
                  let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
            else { return false }
            return text.utf8.count - text[..<split.upperBound].utf8.count >= length
        }
    }
}
