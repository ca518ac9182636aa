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
