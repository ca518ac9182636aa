import Dispatch
import Foundation
#if canImport(Accelerate)
import Accelerate
#else
import COpenBLAS
#endif

/// Matrix products on the platform BLAS (OpenBLAS on Linux, Accelerate on Apple platforms).
/// All matrices are row-major with explicit leading dimensions, so callers can address a
/// column block of a wider matrix (one head of a fused QKV buffer, say) without copying.
///
/// Threading: by default clipkit splits each large product into row (or column) blocks itself
/// and runs them on ``Parallel``'s workers, each a single-threaded BLAS call, instead of letting
/// OpenBLAS thread it. On the Zen 4 profile (docs/performance.md) OpenBLAS's idle worker spun in
/// `sched_yield` between products, competing with the kernels that run between them, and every
/// product paid OpenBLAS's thread hand-off; one pool for everything removes both.
/// ``MatrixMultiplication/Threading/library`` restores OpenBLAS's own threading.
enum BLAS {
    /// `c[m, n] = alpha · a[m, k] · b[n, k]ᵀ + beta · c`.
    static func gemmTransposedB(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        split(m: m, n: n, k: k) { rows, columns in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows.count), Int32(columns.count),
                        Int32(k), alpha, a + rows.lowerBound * lda, Int32(lda),
                        b + columns.lowerBound * ldb, Int32(ldb), beta,
                        c + rows.lowerBound * ldc + columns.lowerBound, Int32(ldc))
        }
    }

    /// `c[m, n] = alpha · a[m, k] · b[k, n] + beta · c`.
    static func gemm(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        split(m: m, n: n, k: k) { rows, columns in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows.count), Int32(columns.count),
                        Int32(k), alpha, a + rows.lowerBound * lda, Int32(lda),
                        b + columns.lowerBound, Int32(ldb), beta,
                        c + rows.lowerBound * ldc + columns.lowerBound, Int32(ldc))
        }
    }

    /// Products smaller than this many multiply-adds run as one call on the calling thread:
    /// below it the hand-off costs more than the second core gains.
    static let splitThreshold = 1 << 21

    /// Calls `body(rows, columns)` on disjoint blocks covering the `m × n` result: one block
    /// with library threading or small products; otherwise a grid of one block per worker, cut
    /// at multiples of 16. Each single-threaded call packs its whole slice of both operands, so
    /// every row block repacks `b`'s `n × k` slice and every column block `a`'s `m × k`: the grid
    /// (`rows × columns = workers`) is the one that repacks least, `rows · n + columns · m`.
    /// With two workers that is a split along the longer side.
    private static func split(m: Int, n: Int, k: Int, _ body: (Range<Int>, Range<Int>) -> Void) {
        let workers = settings.ownThreads ? Parallel.workerCount : 1
        let rowTiles = (m + 15) / 16, columnTiles = (n + 15) / 16
        var grid: (rows: Int, columns: Int)?
        if workers > 1, m * n * k >= splitThreshold {
            var least = Int.max
            for rows in 1...workers where workers % rows == 0 {
                let columns = workers / rows
                guard rows <= rowTiles, columns <= columnTiles else { continue }
                let cost = rows * n + columns * m
                if cost < least { (grid, least) = ((rows, columns), cost) }
            }
        }
        guard let grid else {
            if m > 0 && n > 0 { body(0..<m, 0..<n) }
            return
        }
        Parallel.forEach(grid.rows * grid.columns, workers: workers) { _, item in
            let (i, j) = item.quotientAndRemainder(dividingBy: grid.columns)
            let rows = (i * rowTiles / grid.rows * 16)..<min(m, (i + 1) * rowTiles / grid.rows * 16)
            let columns = (j * columnTiles / grid.columns * 16)..<min(n, (j + 1) * columnTiles / grid.columns * 16)
            if !rows.isEmpty && !columns.isEmpty { body(rows, columns) }
        }
    }

    /// Threads one product may use: clipkit's own workers, or OpenBLAS's threads with
    /// ``MatrixMultiplication/Threading/library``. Starts from OpenBLAS's own choice (which
    /// honours `OPENBLAS_NUM_THREADS`).
    static var threadCount: Int {
        get { settings.threads }
        set { settings.update(threads: max(1, newValue), ownThreads: settings.ownThreads) }
    }

    /// Process-wide threading settings, applied to OpenBLAS on every change.
    static let settings = ThreadingSettings()
}

extension BLAS {
    /// Width in bits of the vectors the BLAS's sgemm kernel uses, from the kernel family
    /// OpenBLAS picked for this CPU at run time (or was told by OPENBLAS_CORETYPE): 512 for its
    /// AVX-512 families, 256 for the AVX2 / AVX ones, 128 for the rest (SSE families such as
    /// Prescott, which Debian's OpenBLAS 0.3.21 picks on CPUs newer than it knows); 128 for
    /// Accelerate, whose kernels are not named.
    static let kernelVectorBits: Int = {
        #if canImport(Accelerate)
        return 128
        #else
        let core = openblas_get_corename().map { String(cString: $0) } ?? ""
        switch core.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": return 512
        case "haswell", "zen", "sandybridge", "excavator", "steamroller", "piledriver", "bulldozer": return 256
        default: return 128
        }
        #endif
    }()
}

/// The BLAS settings and a throughput probe, for tools and benchmarks.
public enum MatrixMultiplication {
    /// Threads the BLAS library may use for one product (OpenBLAS; always 1 with Accelerate).
    public static var threadCount: Int {
        get { BLAS.threadCount }
        set { BLAS.threadCount = newValue }
    }

    /// Who threads a large matrix product.
    public enum Threading: String, Sendable, CaseIterable {
        /// clipkit splits it over its own workers, each block one single-threaded BLAS call
        /// (the default: one thread pool for the products and the kernels between them).
        case own
        /// The BLAS library threads it (OpenBLAS's thread server).
        case library
    }

    /// Who threads the large products, process-wide.
    public static var threading: Threading {
        get { BLAS.settings.ownThreads ? .own : .library }
        set { BLAS.settings.update(threads: BLAS.threadCount, ownThreads: newValue == .own) }
    }

    /// The BLAS library and, for OpenBLAS, the kernel family it picked for this CPU at run
    /// time and its build configuration, e.g. `OpenBLAS Cooperlake (OpenBLAS 0.3.21 DYNAMIC_ARCH
    /// NO_AFFINITY Haswell MAX_THREADS=64)`.
    public static var backendDescription: String {
        #if canImport(Accelerate)
        return "Accelerate"
        #else
        let core = openblas_get_corename().map { String(cString: $0) } ?? "unknown core"
        let config = openblas_get_config().map { String(cString: $0) } ?? ""
        return "OpenBLAS \(core) (\(config))"
        #endif
    }

    /// Single-precision throughput in GFLOP/s of `c[m, n] = a[m, k] · b[n, k]ᵀ` (the layout of
    /// every linear layer here), the best of `repetitions` timed products after one warm-up.
    public static func measureGFLOPS(m: Int, n: Int, k: Int, repetitions: Int = 5) -> Double {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: n * k)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0..<(m * k) { a[i] = Float(i % 17) * 0.01 - 0.08 }
        for i in 0..<(n * k) { b[i] = Float(i % 13) * 0.01 - 0.06 }
        c.initialize(repeating: 0, count: m * n)
        var best = Double.infinity
        for run in 0...max(1, repetitions) {
            let start = DispatchTime.now().uptimeNanoseconds
            BLAS.gemmTransposedB(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, beta: 0, c: c, ldc: n)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if run > 0 { best = min(best, seconds) }
        }
        return 2 * Double(m) * Double(n) * Double(k) / best / 1e9
    }
}
