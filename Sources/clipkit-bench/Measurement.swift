import Dispatch
import CLIPKit
import Foundation

/// Wall-clock timing and process statistics for the benchmarks.
enum Measurement {
    /// Seconds since an arbitrary origin, monotonic.
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Times `body` once as a warm-up, then repeatedly until `seconds` have passed and at least
    /// `minimumRuns` runs were timed. Returns the best and the median run, in seconds.
    static func time(seconds: Double, minimumRuns: Int = 3, _ body: () throws -> Void) rethrows
        -> (best: Double, median: Double, runs: Int)
    {
        try body()
        var runs: [Double] = []
        let deadline = now() + seconds
        while runs.count < minimumRuns || now() < deadline {
            let start = now()
            try body()
            runs.append(now() - start)
        }
        runs.sort()
        return (runs[0], runs[runs.count / 2], runs.count)
    }

    /// Peak resident set size of this process so far, in bytes. On Linux this is `VmHWM` of
    /// /proc/self/status: `getrusage`'s `ru_maxrss` survives `execve`, so a process started by
    /// a big parent (the peer script's Python) would report the parent's peak.
    static func peakResidentBytes() -> Int {
        #if os(Linux)
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") {
            return kilobytes * 1024
        }
        #endif
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) * 1024  // kilobytes on Linux
        #else
        getrusage(RUSAGE_SELF, &usage)
        return Int(usage.ru_maxrss)  // bytes on Darwin
        #endif
    }

    /// The CPU, its flags and kernels (``CPUDescription``) plus the BLAS and the kernel family
    /// it picked at run time. Every benchmark prints it first, so figures from different
    /// machines are not confused.
    static func machineDescription() -> String {
        CPUDescription.current + "\nBLAS: \(MatrixMultiplication.backendDescription)"
    }

    static func megabytes(_ bytes: Int) -> String { String(format: "%.0f MB", Double(bytes) / 1e6) }
}
