/// Where a batch run stands, reported after each batch.
public struct BatchProgress: Sendable, Equatable {
    /// Inputs finished so far, successfully or not.
    public let completed: Int
    /// Of those, inputs that could not be read or run.
    public let failed: Int
    /// All inputs of the run.
    public let total: Int
    /// Time since the run started.
    public let elapsed: Duration

    /// Creates a progress report.
    public init(completed: Int, failed: Int, total: Int, elapsed: Duration) {
        self.completed = completed
        self.failed = failed
        self.total = total
        self.elapsed = elapsed
    }

    /// Seconds since the run started.
    public var elapsedSeconds: Double {
        let (seconds, attoseconds) = elapsed.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    /// Inputs finished per second so far (0 before the first batch finishes).
    public var itemsPerSecond: Double {
        elapsedSeconds > 0 ? Double(completed) / elapsedSeconds : 0
    }

    /// Seconds left at the current rate; `nil` while there is no rate yet.
    public var estimatedSecondsRemaining: Double? {
        let rate = itemsPerSecond
        return rate > 0 ? Double(total - completed) / rate : nil
    }
}
