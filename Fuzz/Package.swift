// swift-tools-version: 6.1
import PackageDescription

/// libFuzzer targets for Reel's pure decoders; `scripts/fuzz` builds and runs them.
///
/// `AMF` and `RTMPCore` are the root package's own sources, reached through the symlinks
/// `Sources/AMF` and `Sources/RTMPCore`, because the root package exports no library products
/// for them. Build only with `-Xswiftc -sanitize=fuzzer` (see `scripts/fuzz`): each target's
/// `main.swift` hands control to libFuzzer's `LLVMFuzzerRunDriver`.
let package = Package(
    name: "ReelFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // MARK: Code under test (symlinks to ../Sources)
        .target(name: "AMF", dependencies: [.product(name: "NIOCore", package: "swift-nio")]),
        .target(
            name: "RTMPCore",
            dependencies: [
                "AMF", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // MARK: Fuzz targets
        .target(name: "CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"]),
        .executableTarget(
            name: "FuzzAMF",
            dependencies: ["AMF", "FuzzSupport", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .executableTarget(
            name: "FuzzHandshake",
            dependencies: ["RTMPCore", "FuzzSupport", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .executableTarget(
            name: "FuzzChunkDecoder",
            dependencies: ["RTMPCore", "AMF", "FuzzSupport", .product(name: "NIOCore", package: "swift-nio")]
        ),
    ]
)
