import CLIPKitKernels
import Foundation

/// The arithmetic of the encoder layers' linear layers (attention q/k/v/out and MLP fc1/fc2).
///
/// Everything else stays fp32 whatever the choice: the patch and token embeddings, every layer
/// norm, softmax, attention's QKᵀ and PV products, the residual stream and the final
/// projections — where published CLIP quantization loses its accuracy.
/// See docs/precision.md for the measured accuracy and speed of each.
public enum Precision: String, Sendable, CaseIterable, Codable {
    /// Exact: the reference arithmetic (the default).
    case fp32
    /// Weights stored as bfloat16 (half the memory), products accumulated in fp32; AVX512-BF16's
    /// `vdpbf16ps` where the CPU has it (activations then rounded to bf16 too), otherwise the
    /// weights are widened to fp32 on the fly. Checkpoints saved as BF16 keep their bytes.
    case bf16
    /// Weights int8, symmetric per output channel, quantized once at load; activations 12-bit
    /// (8 with `CLIPKIT_INT8_ACTIVATION_BITS=8`), asymmetric per token, quantized on the fly;
    /// exact int32 accumulation, the same sums on every CPU. A few outlier input channels
    /// (found from the layer norms' weights) are kept in fp32.
    case int8

    /// The kernel variant this CPU runs for `self`, for diagnostics: "fp32 avx512 (packed)",
    /// "int8 avx512-vnni (12-bit activations)", "bf16 avx512-bf16"... `CLIPKIT_KERNEL=scalar|avx2|avx512|native`
    /// caps the choice.
    public var kernelDescription: String {
        switch self {
        case .fp32:
            return KernelVariants.fp32Packed ? "fp32 " + KernelVariants.fp32Name(KernelVariants.fp32) + " (packed)" : "fp32 (BLAS)"
        case .int8:
            return "int8 " + KernelVariants.int8Name(KernelVariants.int8) + " (\(clipkit_int8_activation_bits())-bit activations)"
        case .bf16: return "bf16 " + KernelVariants.bf16Name(KernelVariants.bf16)
        }
    }
}

/// The fp32, int8 and bf16 kernel variants chosen for this process (see CLIPKitReducedPrecision.h).
enum KernelVariants {
    /// The int8 variant every int8 layer uses.
    static let int8 = Int32(clipkit_int8_default_variant())
    /// The fp32 variant every packed fp32 layer uses.
    static let fp32 = Int32(clipkit_fp32_default_variant())
    /// Whether fp32 layers pack their weights at load for clipkit's own kernels (``fp32``)
    /// rather than run on BLAS. `CLIPKIT_FP32_GEMM=packed` or `=blas` decides; otherwise (`auto`)
    /// the packed kernels run whenever their vectors are wider than those of the kernel the
    /// system BLAS runs, so fp32 never falls to a BLAS that guessed an old kernel for this CPU:
    /// measured on a 2-core AVX-512 Xeon (docs/performance.md), the packed AVX-512 kernel did an
    /// encoder layer's products 3.5× as fast as OpenBLAS's Prescott kernel and 1.6× its Haswell
    /// one, but 0.86× its SkylakeX one, and the packed AVX2 kernel 0.91× Haswell's. Read once.
    static let fp32Packed: Bool = {
        switch ProcessInfo.processInfo.environment["CLIPKIT_FP32_GEMM"] {
        case "packed": return true
        case "blas": return false
        default:
            let bits: Int
            switch Int(fp32) {
            case CLIPKIT_FP32_AVX512: bits = 512
            case CLIPKIT_FP32_AVX2: bits = 256
            default: return false
            }
            return bits > BLAS.kernelVectorBits
        }
    }()
    /// Rows per claim when the workers split a packed fp32 product by rows
    /// (``Parallel/productBlocks(rows:columns:rowBlock:_:)``); `CLIPKIT_FP32_ROW_BLOCK` (0: never).
    static let fp32RowBlock: Int? = {
        guard let text = ProcessInfo.processInfo.environment["CLIPKIT_FP32_ROW_BLOCK"], let value = Int(text) else { return 48 }
        return value > 0 ? value : nil
    }()

    /// The bf16 variant every bf16 layer uses.
    static let bf16 = Int32(clipkit_bf16_default_variant())
    /// Largest quantized activation value of the int8 variant in use for inputs of width `k`.
    static func int8ActivationMax(inputWidth k: Int) -> Int32 { clipkit_int8_activation_max(int8, k) }
    /// How the int8 variant in use reads quantized activations (`CLIPKIT_INT8_VALUES_*`).
    static let int8ActivationEncoding = clipkit_int8_activation_encoding(int8)
    /// Largest quantized weight magnitude of the int8 variant in use (its weights are packed so).
    static let int8WeightMax = clipkit_int8_weight_max(int8)
    /// Most input columns an int8 or bf16 layer keeps in fp32 (``OutlierColumns``):
    /// ``ReducedPrecisionBuffers/maxOutliers``, or fewer when `CLIPKIT_OUTLIER_COLUMNS` (0...8)
    /// says so (to measure what they buy).
    static let outlierColumnLimit: Int = {
        let limit = ReducedPrecisionBuffers.maxOutliers
        guard let text = ProcessInfo.processInfo.environment["CLIPKIT_OUTLIER_COLUMNS"], let value = Int(text) else {
            return limit
        }
        return min(max(0, value), limit)
    }()
    /// Whether the bf16 variant in use reads activations rounded to bf16.
    static let bf16RoundsActivations = clipkit_bf16_rounds_activations(bf16) != 0

    static func int8Name(_ variant: Int32) -> String {
        switch Int(variant) {
        case CLIPKIT_INT8_VNNI: return "avx512-vnni"
        case CLIPKIT_INT8_AVX2: return "avx2"
        default: return "scalar"
        }
    }

    static func fp32Name(_ variant: Int32) -> String {
        switch Int(variant) {
        case CLIPKIT_FP32_AVX512: return "avx512"
        case CLIPKIT_FP32_AVX2: return "avx2"
        default: return "scalar"
        }
    }

    static func bf16Name(_ variant: Int32) -> String {
        switch Int(variant) {
        case CLIPKIT_BF16_AVX512BF16: return "avx512-bf16"
        case CLIPKIT_BF16_AVX512: return "avx512 (widened)"
        case CLIPKIT_BF16_AVX2: return "avx2 (widened)"
        default: return "scalar"
        }
    }
}
