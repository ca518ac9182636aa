import Glibc

/// CPU time the calling thread has used. Tests that bound the cost of work on hostile input
/// measure this instead of wall time, which a loaded or sanitized run stretches at random.
func threadCPUTime() -> Duration {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
}
