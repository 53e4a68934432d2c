import AMF
import Benchmark
import BenchmarkSupport
import NIOCore

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .reel()

    // One operation: decoding every AMF0 value of a message body, as the server session reads
    // commands and the recorder reads metadata.
    let bodies = [
        ("AMF0.connect", PublisherFixtures.connectCommand()),
        ("AMF0.onMetaData", PublisherFixtures.setDataFrame()),
    ]
    for (name, body) in bodies {
        Benchmark(name) { benchmark in
            for _ in benchmark.scaledIterations {
                var input = body
                blackHole(try input.readAMF0Values())
            }
        }
    }
}
