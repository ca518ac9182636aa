import ArgumentParser
import CLIPKit
import Foundation

/// `clipkit-bench gemm`: the encoder's fp32 layer products on BLAS and on clipkit's packed
/// kernel, beside the register-only peak of the cores.
struct GemmBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "fp32 layer products: BLAS vs clipkit's packed kernel, and the register-only FMA peak.",
        discussion: """
            Times the ViT-B/32 encoder's products (QKV 768x2304, out 768x768, fc1 768x3072, fc2
            3072x768, --rows rows, default 32 images x 50 tokens) on the system BLAS (with
            clipkit's threading) and on the packed fp32 kernel, in alternating rounds, and prints
            each one's GFLOPS and share of the register-only peak (rates over wall-clock time, and
            over the process's CPU time, which a shared machine distorts less; the peak is taken
            over each thread's CPU time), with the CPU, its flags, OPENBLAS_CORETYPE and the
            kernel OpenBLAS picked.
            """)

    @Option(help: "Rows of each product (images x tokens).")
    var rows = 32 * 50

    @Option(help: "Worker threads.")
    var threads = 2

    @Option(help: "Alternating rounds (each the best of three products per side).")
    var rounds = 5

    func run() throws {
        MatrixMultiplication.threadCount = threads
        print(CPUDescription.current)
        print("OPENBLAS_CORETYPE: \(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "unset"); BLAS: \(MatrixMultiplication.backendDescription)")
        print("packed fp32 kernel: \(FP32KernelBenchmark.variantName); used by fp32 layers: \(FP32KernelBenchmark.layersUsePackedKernels ? "yes" : "no (BLAS; CLIPKIT_FP32_GEMM=packed forces them)")")
        let peakOne = FP32KernelBenchmark.registerPeakGFLOPS(threads: 1)
        let peak = FP32KernelBenchmark.registerPeakGFLOPS(threads: threads)
        print(String(format: "register-only fp32 FMA peak (%@, per thread CPU time): %.1f GFLOPS on 1 thread, %.1f on %d",
                     FP32KernelBenchmark.variantName, peakOne, peak, threads))
        let shapes = [("qkv", 768, 2304), ("out", 768, 768), ("fc1", 768, 3072), ("fc2", 3072, 768)]
        var totals = (blas: 0.0, packed: 0.0, blasCPU: 0.0, packedCPU: 0.0, flops: 0.0)
        for (name, k, n) in shapes {
            let result = FP32KernelBenchmark.compare(m: rows, n: n, k: k, rounds: rounds)
            let flops = 2.0 * Double(rows) * Double(n) * Double(k)
            let blas = result.blasSeconds.min() ?? .infinity, packed = result.packedSeconds.min() ?? .infinity
            let blasCPU = result.blasCPUSeconds.min() ?? .infinity, packedCPU = result.packedCPUSeconds.min() ?? .infinity
            let ratios = zip(result.blasSeconds, result.packedSeconds).map { String(format: "%.2f", $0 / $1) }
            print(String(format: "%@ %dx%dx%d: BLAS %.1f GFLOPS (%.0f%% of peak), packed %.1f GFLOPS (%.0f%%), packed/BLAS %.2fx (rounds: %@)",
                         name, rows, k, n, flops / blas * 1e-9, 100 * flops / blas * 1e-9 / peak,
                         flops / packed * 1e-9, 100 * flops / packed * 1e-9 / peak, blas / packed,
                         ratios.joined(separator: " ")))
            print(String(format: "    per CPU-second x %d threads: BLAS %.1f GFLOPS (%.0f%%), packed %.1f GFLOPS (%.0f%%), packed/BLAS %.2fx",
                         threads, flops / blasCPU * 1e-9 * Double(threads), 100 * flops / blasCPU * 1e-9 * Double(threads) / peak,
                         flops / packedCPU * 1e-9 * Double(threads), 100 * flops / packedCPU * 1e-9 * Double(threads) / peak,
                         blasCPU / packedCPU))
            totals = (totals.blas + blas, totals.packed + packed, totals.blasCPU + blasCPU,
                      totals.packedCPU + packedCPU, totals.flops + flops)
        }
        print(String(format: "one encoder layer's products: BLAS %.1f GFLOPS (%.0f%% of peak), packed %.1f GFLOPS (%.0f%%), packed/BLAS %.2fx; per CPU-second %.2fx",
                     totals.flops / totals.blas * 1e-9, 100 * totals.flops / totals.blas * 1e-9 / peak,
                     totals.flops / totals.packed * 1e-9, 100 * totals.flops / totals.packed * 1e-9 / peak,
                     totals.blas / totals.packed, totals.blasCPU / totals.packedCPU))
    }
}
