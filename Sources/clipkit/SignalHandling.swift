import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT and SIGTERM as a request to stop: the run finishes the batch in flight, flushes its
/// output, prints its summary and exits with 128 + the signal number (130, 143).
///
/// The signals are received through dispatch sources, so nothing runs in a signal handler. A
/// second signal while the first is being honoured ends the process at once with the same status
/// (records already written stay, as each one is flushed when written).
final class StopSignals: @unchecked Sendable {
    // Sendable: `received` is guarded by `lock`; the sources are only touched in `install`.
    private let lock = NSLock()
    private var received: Int32?
    private var sources: [any DispatchSourceSignal] = []

    /// The signal that asked the run to stop, if one has arrived.
    var stopSignal: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    /// Whether the run should stop after the current batch.
    var isStopRequested: Bool { stopSignal != nil }

    /// Starts listening for SIGINT and SIGTERM (their default actions are turned off).
    static func install() -> StopSignals {
        let stop = StopSignals()
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [stop] in stop.record(number) }
            source.resume()
            stop.sources.append(source)
        }
        return stop
    }

    private func record(_ number: Int32) {
        lock.lock()
        let first = received == nil
        if first { received = number }
        lock.unlock()
        if first {
            Console.writeError("\nclipkit: \(Self.name(number)) received; finishing the current batch (send it again to stop now)\n")
        } else {
            exit(128 + number)  // allowed: the CLI ends itself on a repeated signal; each record is already flushed
        }
    }

    /// The exit status for a run stopped by `number`: 128 + the signal number.
    static func exitStatus(for number: Int32) -> Int32 { 128 + number }

    static func name(_ number: Int32) -> String {
        switch number {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        default: "signal \(number)"
        }
    }
}
