import CLIPKit
import Foundation

/// The CPU model, its vector extensions and the kernels clipkit picked, for benchmark headers.
enum CPUDescription {
    /// The extensions that decide which kernels run.
    static let interestingFlags = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "amx_int8", "amx_bf16"]

    /// e.g. "CPU: AMD EPYC 9R14 (2 cores); flags: avx2 fma avx512f ...; kernels: fp32 avx512 (packed), int8 avx512-vnni (12-bit activations), bf16 avx512-bf16".
    static var current: String {
        var model = "unknown"
        var flags: Set<Substring> = []
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let key = parts[0].trimmingCharacters(in: .whitespaces)
                if key == "model name", model == "unknown" { model = parts[1].trimmingCharacters(in: .whitespaces) }
                if key == "flags", flags.isEmpty { flags = Set(parts[1].split(separator: " ")) }
            }
        }
        let present = interestingFlags.filter { flags.contains(Substring($0)) }
        let kernels = [Precision.fp32, .int8, .bf16].map(\.kernelDescription).joined(separator: ", ")
        return "CPU: \(model) (\(ProcessInfo.processInfo.activeProcessorCount) cores); flags: \(present.joined(separator: " ")); kernels: \(kernels)"
    }
}
