import CLIPKitKernels
import Dispatch
import Foundation

/// Throughput probes of clipkit's own fp32 kernels beside BLAS, for benchmarks
/// (`clipkit-bench gemm`): the register-only multiply-add peak of the cores, and the encoder's
/// layer products timed both ways in alternating rounds.
public enum FP32KernelBenchmark {
    /// The fp32 kernel variant this process runs (`avx512`, `avx2` or `scalar`; capped by
    /// `CLIPKIT_KERNEL`).
    public static var variantName: String { KernelVariants.fp32Name(KernelVariants.fp32) }

    /// Whether fp32 layers use the packed kernels (`CLIPKIT_FP32_GEMM=packed|blas|auto`).
    public static var layersUsePackedKernels: Bool { KernelVariants.fp32Packed }

    /// GFLOP/s of the fp32 register-only probe on `threads` threads
    /// (``Precision/registerPeakGOPS(threads:repetitions:)`` for `.fp32`).
    public static func registerPeakGFLOPS(threads: Int, repetitions: Int = 3) -> Double {
        Precision.fp32.registerPeakGOPS(threads: threads, repetitions: repetitions)
    }

    /// Seconds per product `c[m, n] = a[m, k] · w[n, k]ᵀ` in each round, BLAS (with clipkit's
    /// threading, as fp32 layers run on it) and the packed kernel (split into column tiles over
    /// the workers as ``Linear`` does), alternating; each round's figure is the best of three.
    public struct Comparison: Sendable {
        /// Wall-clock seconds.
        public let blasSeconds: [Double]
        public let packedSeconds: [Double]
        /// CPU seconds of the whole process over the same products (all threads), which other
        /// processes on a shared machine inflate less than wall-clock time.
        public let blasCPUSeconds: [Double]
        public let packedCPUSeconds: [Double]
    }

    /// Times both ways over `rounds` alternating rounds on the current worker count
    /// (``MatrixMultiplication/threadCount``).
    public static func compare(m: Int, n: Int, k: Int, rounds: Int) -> Comparison {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        let w = UnsafeMutablePointer<Float>.allocate(capacity: n * k)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: clipkit_fp32_packed_count(n, k))
        defer { a.deallocate(); w.deallocate(); c.deallocate(); packed.deallocate() }
        for i in 0..<(m * k) { a[i] = Float(i % 17) * 0.01 - 0.08 }
        for i in 0..<(n * k) { w[i] = Float(i % 13) * 0.01 - 0.06 }
        c.initialize(repeating: 0, count: m * n)
        clipkit_fp32_pack(w, n, k, packed)
        let blas = {
            BLAS.gemmTransposedB(m: m, n: n, k: k, a: a, lda: k, b: w, ldb: k, beta: 0, c: c, ldc: n)
        }
        let own = {
            Parallel.productBlocks(rows: m, columns: n, rowBlock: KernelVariants.fp32RowBlock) { rows, columns in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, clipkit_fp32_scratch_count(k)))
                defer { scratch.deallocate() }
                clipkit_fp32_gemm(KernelVariants.fp32, a + rows.lowerBound * k, k, rows.count, packed, n, k,
                                  columns.lowerBound, columns.upperBound, nil, Int32(CLIPKIT_ACTIVATION_NONE), 0,
                                  c + rows.lowerBound * n, n, scratch)
            }
        }
        blas()
        own()
        var wall: ([Double], [Double]) = ([], []), cpu: ([Double], [Double]) = ([], [])
        for _ in 0..<max(1, rounds) {
            let b = bestOfThree(blas), p = bestOfThree(own)
            wall.0.append(b.wall); cpu.0.append(b.cpu)
            wall.1.append(p.wall); cpu.1.append(p.cpu)
        }
        return Comparison(blasSeconds: wall.0, packedSeconds: wall.1, blasCPUSeconds: cpu.0, packedCPUSeconds: cpu.1)
    }

    private static func bestOfThree(_ body: () -> Void) -> (wall: Double, cpu: Double) {
        var best = (wall: Double.infinity, cpu: Double.infinity)
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds, cpuStart = processCPUSeconds()
            body()
            best.wall = min(best.wall, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
            best.cpu = min(best.cpu, processCPUSeconds() - cpuStart)
        }
        return best
    }

    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    private static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}

/// One Double per worker, written by that worker only, summed after the join.
final class ParallelSum: @unchecked Sendable {
    // Sendable: each slot is written by one worker; `total` is read after the join.
    private var values: [Double]
    init(_ count: Int) { values = [Double](repeating: 0, count: count) }
    func set(_ index: Int, _ value: Double) { values.withUnsafeMutableBufferPointer { $0[index] = value } }
    var total: Double { values.reduce(0, +) }
}
