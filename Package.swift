// swift-tools-version: 6.1
import PackageDescription

/// Reel: a self-hosted live-broadcast recording server speaking the Tencent LVB API 2.0.
///
/// Pure cores (`AMF`, `RTMPCore`, `FLV`, `LVB`) do no I/O; the service modules wire them to
/// sockets, files and the metadata store; `reel` is a thin command-line front.
let package = Package(
    name: "reel",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "reel", targets: ["CLI"]),
        .library(name: "App", targets: ["App"]),
        // The pure cores, for the `Benchmarks/` package.
        .library(name: "AMF", targets: ["AMF"]),
        .library(name: "RTMPCore", targets: ["RTMPCore"]),
        .library(name: "FLV", targets: ["FLV"]),
        .library(name: "LVB", targets: ["LVB"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // MARK: Pure cores (no I/O)
        .target(name: "AMF", dependencies: [.product(name: "NIOCore", package: "swift-nio")]),
        .target(
            name: "RTMPCore",
            dependencies: [
                "AMF", .product(name: "NIOCore", package: "swift-nio"), .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "FLV", dependencies: ["AMF", .product(name: "NIOCore", package: "swift-nio")]),
        .target(name: "LVB", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Telemetry", dependencies: [.product(name: "CoreMetrics", package: "swift-metrics")]),
        .target(
            name: "RTMPServer",
            dependencies: [
                "RTMPCore", "FLV", "AMF", "LVB", "Store", "Telemetry",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Services
        // glibc's allocator statistics and trimming, which its Swift module does not export.
        .target(name: "CHeapStats"),
        .target(
            name: "Store",
            dependencies: [
                "LVB",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Recorder",
            dependencies: [
                "FLV", "Store", "RTMPServer", "Telemetry",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Events",
            dependencies: [
                "LVB", "Store",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "API",
            dependencies: [
                "LVB", "Store", "Telemetry",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "App",
            dependencies: [
                "API", "Store", "LVB", "RTMPServer", "Recorder", "Events", "Telemetry", "CHeapStats",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "CLI",
            dependencies: [
                "App", "LVB", "FLV", "AMF", "Store",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),

        // MARK: Tests
        .testTarget(name: "AMFTests", dependencies: ["AMF"]),
        .testTarget(
            name: "RTMPCoreTests",
            dependencies: [
                "RTMPCore", "AMF", .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "FLVTests", dependencies: ["FLV", "AMF"]),
        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry", .product(name: "Prometheus", package: "swift-prometheus")]),
        .testTarget(name: "LVBTests", dependencies: ["LVB"]),
        .testTarget(
            name: "RTMPServerTests",
            dependencies: [
                "RTMPServer", "RTMPCore", "FLV", "AMF", "Store", "LVB",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "StoreTests", dependencies: ["Store", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "EventsTests",
            dependencies: ["Events", "Store", "LVB", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "RecorderTests",
            dependencies: [
                "Recorder", "FLV", "AMF", "Store", "RTMPServer", "Telemetry",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "APITests",
            dependencies: [
                "API", "App", "Store", "LVB",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "App", "LVB", "FLV", "Store",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
    ]
)
