// swift-tools-version: 6.0
// libFuzzer targets for clipkit's parsers of untrusted bytes. Built and run by
// `scripts/fuzz.sh TARGET SECONDS` (scratch path `.build-fuzz`), with
// `-sanitize=fuzzer,address` and `-enable-testing` (the targets reach internal parsers).
import Foundation
import PackageDescription

/// The main package's identity is its folder's name (a path dependency), whatever the checkout is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let targets = [
    "FuzzSafeTensors", "FuzzConfig", "FuzzTokenizer", "FuzzImage", "FuzzLabels", "FuzzHub", "FuzzSentencePiece",
    "FuzzTokenizerJSON", "FuzzPackedWeights",
]

let package = Package(
    name: "clipkit-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "CLIPKit", package: root)]),
    ] + targets.map {
        .executableTarget(name: $0, dependencies: ["FuzzSupport", .product(name: "CLIPKit", package: root)])
    },
    swiftLanguageModes: [.v6]
)
