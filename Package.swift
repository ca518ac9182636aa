// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "clipkit",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "CLIPKit", targets: ["CLIPKit"]),
        .executable(name: "clipkit", targets: ["clipkit"]),
        // The C ABI (Sources/CLIPKitABI/include/clipkit.h) for Python/Spark: libCLIPKitC.so,
        // installed as libclipkit.so by python/ (the name `clipkit` is the executable's).
        .library(name: "CLIPKitC", type: .dynamic, targets: ["CLIPKitC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        // System libraries. Each shim names its pkg-config module and the Debian package
        // that provides it; `scripts/bootstrap.sh` installs them all.
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg",
            providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng16",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CWebP", path: "Sources/CWebP", pkgConfig: "libwebp",
            providers: [.apt(["libwebp-dev"])]),
        // setjmp-protected libjpeg/libpng calls: their fatal errors longjmp, which Swift cannot
        // catch (see Sources/CImageCodecs/include/CImageCodecs.h).
        .target(name: "CImageCodecs", dependencies: ["CJPEG", "CPNG"]),
        // Small C kernels for hot loops where Swift measurably cannot keep up (see each file).
        .target(name: "CLIPKitKernels"),
        .target(
            name: "CLIPKit",
            dependencies: [
                .target(name: "COpenBLAS", condition: .when(platforms: [.linux])),
                "CJPEG", "CPNG", "CWebP", "CImageCodecs", "CLIPKitKernels",
            ]),
        // The C header of libclipkit.so; a C target so the Swift side compiles against it.
        .target(name: "CLIPKitABI"),
        // The C ABI's implementation (`@_cdecl` functions over CLIPKit).
        .target(name: "CLIPKitC", dependencies: ["CLIPKit", "CLIPKitABI"]),
        // The HTTP service behind `clipkit serve`: routes, dynamic batcher, limits, metrics.
        .target(
            name: "CLIPKitServer",
            dependencies: [
                "CLIPKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]),
        .executableTarget(
            name: "clipkit",
            dependencies: [
                "CLIPKit",
                "CLIPKitServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "clipkit-bench",
            dependencies: [
                "CLIPKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "CLIPKitTests", dependencies: ["CLIPKit"]),
        .testTarget(
            name: "CLIPKitServerTests",
            dependencies: [
                "CLIPKitServer",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
