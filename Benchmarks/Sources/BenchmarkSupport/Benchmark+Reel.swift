import Benchmark

extension Benchmark.Configuration {
    /// The configuration of every Reel benchmark.
    ///
    /// - One operation per sample (scaling factor 1), so a sample's `mallocCountTotal` is the
    ///   allocations of one operation: the number the committed `Thresholds/*.p90.json` hold.
    /// - Measures wall-clock time, throughput and allocations.
    /// - `thresholds check` fails when the p90 of allocations per operation is more than
    ///   `allocationTolerance` away from the committed value, in either direction: a regression
    ///   fails, and an improvement asks for the thresholds to be updated.
    ///
    /// - Parameter allocationTolerance: Allocations per operation allowed either side of the
    ///   committed p90. Default 0: allocation counts of these code paths are deterministic.
    /// - Returns: The configuration.
    public static func reel(allocationTolerance: Int = 0) -> Self {
        .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal],
            warmupIterations: 10,
            scalingFactor: .one,
            maxDuration: .seconds(2),
            maxIterations: 10_000,
            thresholds: [.mallocCountTotal: BenchmarkThresholds(absolute: [.p90: allocationTolerance])]
        )
    }
}
