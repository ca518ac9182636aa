import Foundation

/// An exclusive `flock(2)` lock on a file, the same kind Python's `filelock` takes on
/// huggingface_hub's `.locks/…/<etag>.lock`, so Swift and Python downloads exclude each other.
final class FileLock: @unchecked Sendable {
    let url: URL
    /// The locked descriptor; -1 once released. Used only by the task that holds the lock.
    private var descriptor: Int32

    private init(url: URL, descriptor: Int32) {
        self.url = url
        self.descriptor = descriptor
    }

    /// Waits for the lock, polling every `interval` seconds, for at most `timeout` seconds.
    static func acquire(_ url: URL, timeout: Double, interval: Double = 0.1) async throws -> FileLock {
        let descriptor = try openLockFile(url)
        let attempts = max(1, Int((timeout / interval).rounded(.up)))
        for attempt in 0..<attempts {
            if try tryLock(descriptor, url: url) { return FileLock(url: url, descriptor: descriptor) }
            if attempt + 1 < attempts {
                do { try await Task.sleep(nanoseconds: UInt64(interval * 1e9)) } catch {
                    close(descriptor)
                    throw error
                }
            }
        }
        close(descriptor)
        throw HubError.lockTimeout(path: url.path)
    }

    /// Waits for the lock like ``acquire(_:timeout:interval:)`` but blocks the calling thread,
    /// for synchronous callers (the text-embedding cache).
    static func acquireBlocking(_ url: URL, timeout: Double, interval: Double = 0.02) throws -> FileLock {
        let descriptor = try openLockFile(url)
        let attempts = max(1, Int((timeout / interval).rounded(.up)))
        for attempt in 0..<attempts {
            if try tryLock(descriptor, url: url) { return FileLock(url: url, descriptor: descriptor) }
            if attempt + 1 < attempts { usleep(UInt32(interval * 1e6)) }
        }
        close(descriptor)
        throw HubError.lockTimeout(path: url.path)
    }

    /// Opens (creating it and its folder) the lock file, mode 0664 as huggingface_hub's.
    private static func openLockFile(_ url: URL) throws -> Int32 {
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw HubError.cacheIO(path: url.deletingLastPathComponent().path, reason: error.localizedDescription)
        }
        let descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o664)
        guard descriptor >= 0 else {
            throw HubError.cacheIO(path: url.path, reason: String(cString: strerror(errno)))
        }
        return descriptor
    }

    /// One non-blocking attempt: true when locked, false when another holder has it; any other
    /// failure closes `descriptor` and throws.
    private static func tryLock(_ descriptor: Int32, url: URL) throws -> Bool {
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return true }
        let code = errno
        guard code == EWOULDBLOCK || code == EINTR else {
            close(descriptor)
            throw HubError.cacheIO(path: url.path, reason: String(cString: strerror(code)))
        }
        return false
    }

    /// Releases the lock. The lock file stays, as huggingface_hub leaves its own.
    func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
