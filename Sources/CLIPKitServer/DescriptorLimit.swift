#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's limit on open file descriptors (`RLIMIT_NOFILE`): every client connection holds one.
enum DescriptorLimit {
    /// Raises the soft limit to the hard limit where the system allows it, as Go's runtime and
    /// nginx's `worker_rlimit_nofile` do, and returns the soft limit in force afterwards (`nil` if
    /// it cannot be read).
    @discardableResult
    static func raiseSoftLimit() -> Int? {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return nil }
        var target = limit.rlim_max
        #if canImport(Darwin)
        // macOS reports an unlimited hard limit but refuses a soft limit above OPEN_MAX.
        target = min(target, rlim_t(OPEN_MAX))
        #endif
        if limit.rlim_cur < target {
            var raised = limit
            raised.rlim_cur = target
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    #if canImport(Glibc)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}
