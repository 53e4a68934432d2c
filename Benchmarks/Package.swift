// swift-tools-version: 6.1
import PackageDescription

/// Micro-benchmarks of Reel's hot paths with package-benchmark (`swift package benchmark`).
///
/// A package of its own, so the root package never depends on package-benchmark; it reaches the
/// pure cores through the root package's library products. Every benchmark measures one operation
/// per sample and is gated on allocations per operation against the thresholds committed under
/// `Thresholds/` (see README.md). CI only builds this package; it never runs the benchmarks.
let package = Package(
    name: "ReelBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "reel", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // MARK: Shared by the suites
        .target(
            name: "BenchmarkSupport",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "AMF", package: "reel"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // MARK: Suites (package-benchmark finds them under Benchmarks/)
        .executableTarget(
            name: "RTMPBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "RTMPCore", package: "reel"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/RTMPBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "AMFBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "AMF", package: "reel"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/AMFBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "FLVBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "FLV", package: "reel"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/FLVBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "LVBBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "LVB", package: "reel"),
            ],
            path: "Benchmarks/LVBBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
