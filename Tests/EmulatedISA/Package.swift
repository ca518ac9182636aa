// swift-tools-version: 6.0
// The kernel tests with every x86 kernel variant on emulated intrinsics (scripts/test-emulated-isa.sh).
//
// A package of its own so that only the kernels (the root package's Sources/CLIPKitKernels, linked
// here) are built with Shim/emulated_isa.h force-included: each `target("avx512...")` variant is
// compiled for the baseline on SIMDe's portable intrinsics (Shim/immintrin.h) and reported
// supported, so FP32KernelTests and ReducedPrecisionKernelTests (linked from Tests/CLIPKitTests)
// compare the AVX2, AVX-512, VNNI and BF16 kernels with the scalar ones on any x86-64 CPU.
import PackageDescription

let shim = Context.packageDirectory + "/Shim"

let package = Package(
    name: "clipkit-emulated-isa",
    targets: [
        .target(
            name: "CLIPKitKernels",
            cSettings: [.unsafeFlags(["-include", shim + "/emulated_isa.h", "-I" + shim, "-DSIMDE_NO_NATIVE",
                                      "-O2", "-Wno-psabi"])]),
        .testTarget(name: "EmulatedKernelTests", dependencies: ["CLIPKitKernels"]),
    ]
)
