import Dispatch
#if canImport(Accelerate)
import Accelerate
#else
import COpenBLAS
#endif

/// Matrix products on the platform BLAS (OpenBLAS on Linux, Accelerate on Apple platforms).
/// All matrices are row-major with explicit leading dimensions, so callers can address a
/// column block of a wider matrix (one head of a fused QKV buffer, say) without copying.
enum BLAS {
    /// `c[m, n] = alpha · a[m, k] · b[n, k]ᵀ + beta · c`.
    @inline(__always)
    static func gemmTransposedB(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `c[m, n] = alpha · a[m, k] · b[k, n] + beta · c`.
    @inline(__always)
    static func gemm(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Threads the BLAS library may use for one product (OpenBLAS only; a no-op elsewhere).
    static var threadCount: Int {
        get {
            #if canImport(Accelerate)
            return 1
            #else
            return Int(openblas_get_num_threads())
            #endif
        }
        set {
            #if !canImport(Accelerate)
            openblas_set_num_threads(Int32(max(1, newValue)))
            #endif
        }
    }
}

/// The BLAS settings and a throughput probe, for tools and benchmarks.
public enum MatrixMultiplication {
    /// Threads the BLAS library may use for one product (OpenBLAS; always 1 with Accelerate).
    public static var threadCount: Int {
        get { BLAS.threadCount }
        set { BLAS.threadCount = newValue }
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
