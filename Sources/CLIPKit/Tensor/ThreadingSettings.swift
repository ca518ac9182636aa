import Foundation
#if !canImport(Accelerate)
import COpenBLAS
#endif

/// clipkit's thread count and threading mode, behind a lock (read once per product).
final class ThreadingSettings: @unchecked Sendable {
    // Sendable: every access to the stored values holds `lock`.
    private let lock = NSLock()
    private var storedThreads: Int
    private var storedOwnThreads = true

    init() {
        #if canImport(Accelerate)
        storedThreads = 1
        #else
        storedThreads = max(1, Int(openblas_get_num_threads()))
        openblas_set_num_threads(1)
        #endif
    }

    var threads: Int { lock.withLock { storedThreads } }
    var ownThreads: Bool { lock.withLock { storedOwnThreads } }

    func update(threads: Int, ownThreads: Bool) {
        lock.withLock {
            storedThreads = threads
            storedOwnThreads = ownThreads
            #if !canImport(Accelerate)
            openblas_set_num_threads(Int32(ownThreads ? 1 : threads))
            #endif
        }
    }
}
