import Foundation
import Synchronization
import Testing
@testable import CLIPKit

#if os(Linux)
import Glibc

@Suite("Idle-priority prefetch")
struct IdlePrefetchTests {
    /// Signals the test from a prefetch thread.
    final class Signal: Sendable {
        let semaphore = DispatchSemaphore(value: 0)
        func fire() { semaphore.signal() }
        /// Waits up to a minute (a loaded machine may run idle threads late).
        func wait() -> Bool { semaphore.wait(timeout: .now() + 60) == .success }
    }

    /// With one thread, inputs run in turn: once `work` starts on the sentinel (the last
    /// index), every earlier outcome has been stored.
    @Test func threadsRunInTheIdleSchedulingClass() throws {
        let sentinel = Signal()
        let prefetch = try #require(IdlePrefetch(indices: [7, 8], threads: 1) { index in
            if index == 8 { sentinel.fire() }
            return .success([Float(sched_getscheduler(0))])
        })
        #expect(sentinel.wait())
        let policy = try #require(try prefetch.finish()[7]?.get().first)
        #expect(Int32(policy) == 5, "SCHED_IDLE is 5")
    }

    @Test func finishStopsTheThreadsAndDropsLateResults() throws {
        let started = Signal()
        let gate = Signal()
        let calls = Mutex([Int]())
        let prefetch = try #require(IdlePrefetch(indices: [0, 1, 2, 3], threads: 1) { index in
            calls.withLock { $0.append(index) }
            if index == 0 {
                started.fire()
                _ = gate.wait()
            }
            return .success([Float(index)])
        })
        #expect(started.wait())
        #expect(prefetch.finish().isEmpty, "input 0 is still running")
        gate.fire()
        // Nothing may be claimed after finish(): give the thread time to (wrongly) go on.
        usleep(200_000)
        #expect(calls.withLock { $0 } == [0])
        #expect(prefetch.finish().isEmpty, "the late result of input 0 is dropped")
    }

    @Test func inputsLeftToTheConsumerAreNotReported() throws {
        let sentinel = Signal()
        let prefetch = try #require(IdlePrefetch(indices: [0, 1, 2, 3], threads: 1) { index in
            if index == 3 { sentinel.fire() }
            return index == 1 ? nil : .failure(CancellationError())
        })
        #expect(sentinel.wait())
        let outcomes = prefetch.finish()
        #expect(Set(outcomes.keys).subtracting([3]) == [0, 2])
        #expect(outcomes[0].map { if case .failure(let error) = $0 { error is CancellationError } else { false } } == true)
    }
}
#endif
