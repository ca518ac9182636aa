import Foundation
import Synchronization

/// Decodes and preprocesses the inputs of the next batch on threads that run only when a core
/// would otherwise be idle (Linux's `SCHED_IDLE` policy), while the model runs the current batch
/// on every core.
///
/// Decoding beside the model's workers at normal priority takes a core from a worker, and every
/// split product then waits at its join for the preempted part; on 2 cores that cost more than
/// the decoding itself (docs/performance.md). An idle-priority thread gets a core only while no
/// normal thread wants it (a worker waiting at a join, the gaps between products) and loses it
/// as soon as a worker wakes, so the decoding fills the model's gaps instead of widening them.
///
/// Nothing can wait on a starved idle thread: ``finish()`` closes the prefetch and hands over
/// what is done; the caller decodes everything else at normal priority, including the items an
/// idle thread still holds (their late results are dropped). Inputs whose pixels come from an
/// async loader are never given to these threads.
final class IdlePrefetch: Sendable {
    /// What one input becomes: its pixels [channels · height · width], or why it failed.
    typealias Outcome = Result<[Float], any Error>

    private struct State {
        /// Position in `indices` of the next input to hand out.
        var next = 0
        var closed = false
        var outcomes: [Int: Outcome] = [:]
    }

    private let state = Mutex(State())
    private let indices: [Int]
    private let work: @Sendable (Int) -> Outcome?

    /// Starts `threads` idle-priority threads working through `indices` with `work` (which
    /// returns nil for an input it leaves to the consumer). Returns nil, and starts nothing,
    /// where the idle policy does not exist.
    init?(indices: [Int], threads: Int, work: @escaping @Sendable (Int) -> Outcome?) {
        guard Self.isSupported, !indices.isEmpty else { return nil }
        self.indices = indices
        self.work = work
        for _ in 0..<min(max(1, threads), indices.count) {
            let thread = Thread { [self] in drain() }
            thread.name = "clipkit-prefetch"
            thread.start()
        }
    }

    /// Whether the platform has an idle scheduling class (Linux).
    static var isSupported: Bool {
        #if os(Linux)
        return true
        #else
        return false
        #endif
    }

    /// Stops handing out inputs and returns the outcomes finished so far, by input index.
    func finish() -> [Int: Outcome] {
        state.withLock { state in
            state.closed = true
            defer { state.outcomes = [:] }
            return state.outcomes
        }
    }

    /// The body of each thread: lower its own priority, then take inputs until none are left or
    /// the prefetch is closed.
    private func drain() {
        // A thread that cannot lower its priority leaves its share to the consumer: at normal
        // priority it would slow the model down (see the type's comment).
        guard Self.lowerCurrentThreadPriority() else { return }
        while let index = claim() {
            guard let outcome = work(index) else { continue }
            state.withLock { state in
                if !state.closed { state.outcomes[index] = outcome }
            }
        }
    }

    private func claim() -> Int? {
        state.withLock { state in
            guard !state.closed, state.next < indices.count else { return nil }
            defer { state.next += 1 }
            return indices[state.next]
        }
    }

    /// Puts the calling thread in the idle scheduling class. Lowering a thread's own priority
    /// needs no privilege; raising it back would, which is why the threads are never reused.
    private static func lowerCurrentThreadPriority() -> Bool {
        #if os(Linux)
        var parameters = sched_param()
        // 0: the calling thread. SCHED_IDLE is 5 in Linux's ABI; Glibc's module exports it only
        // under _GNU_SOURCE.
        return sched_setscheduler(0, 5, &parameters) == 0
        #else
        return false
        #endif
    }
}
