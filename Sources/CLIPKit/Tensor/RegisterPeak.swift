import CLIPKitKernels
import Dispatch

extension Precision {
    /// Billions of operations per second (2 per multiply-add) that `threads` threads retire
    /// running this precision's kernel instruction sequence on registers only (independent
    /// accumulator chains, no memory operands), best of `repetitions`: the ceiling of the kernel
    /// variant in use (fp32 FMA, int8 `vpdpbusd` or `vpmaddwd` + `vpaddd`, bf16 `vdpbf16ps`
    /// or widening fp32 FMA). Each thread's rate is taken over its own CPU time and the rates are
    /// added, so other processes on a shared machine lower the figure less than wall-clock rates.
    /// For benchmarks: a tower's operations per second over this figure is its share of the peak.
    public func registerPeakGOPS(threads: Int, repetitions: Int = 5) -> Double {
        let iterations = 4_000_000
        let count = max(1, threads)
        var best = 0.0
        for _ in 0..<max(1, repetitions) {
            let rates = ParallelSum(count)
            DispatchQueue.concurrentPerform(iterations: count) { index in
                var sink = 0.0
                let start = FP32KernelBenchmark.threadCPUSeconds()
                let operations = probe(iterations: iterations, sink: &sink)
                rates.set(index, operations / max(FP32KernelBenchmark.threadCPUSeconds() - start, 1e-9) * 1e-9)
            }
            best = max(best, rates.total)
        }
        return best
    }

    private func probe(iterations: Int, sink: inout Double) -> Double {
        switch self {
        case .fp32: return clipkit_fp32_fma_probe(KernelVariants.fp32, iterations, &sink)
        case .int8: return clipkit_int8_dot_probe(KernelVariants.int8, iterations, &sink)
        case .bf16: return clipkit_bf16_dot_probe(KernelVariants.bf16, iterations, &sink)
        }
    }
}
