/// Process-wide settings of the numeric runtime.
public enum CLIPKitRuntime {
    /// Threads one matrix product may use (OpenBLAS on Linux; Accelerate chooses for itself).
    public static var threadCount: Int { BLAS.threadCount }

    /// Sets the threads one matrix product may use (at least 1). Affects the whole process.
    public static func setThreadCount(_ count: Int) {
        BLAS.threadCount = max(1, count)
    }
}
