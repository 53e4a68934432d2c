import Benchmark
import BenchmarkSupport
import FLV
import NIOCore

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .reel()

    // One operation: the recorder writing one GOP (one second: 30 video and 43 audio tags,
    // about 330 KB) to an open fragment, as it does for each `writeTags` action.
    Benchmark(
        "FLVFragmentWriter.GOP",
        closure: { benchmark, recording in
            for _ in benchmark.scaledIterations {
                recording.advance()
                blackHole(recording.writer.write(recording.gop))
            }
        },
        setup: { Recording.withOpenFragment() }
    )

    // One operation: the fragment policy taking in one GOP's tags while a fragment is open,
    // each event returning its actions (one `writeTags` of the GOP before, at the keyframe).
    Benchmark(
        "FragmentPolicy.GOP",
        closure: { benchmark, recording in
            for _ in benchmark.scaledIterations {
                recording.advance()
                for tag in recording.gop {
                    blackHole(recording.policy.mediaTagDidArrive(tag))
                }
            }
        },
        setup: { Recording.withRecordingPolicy() }
    )
}

/// A live recording's state between operations: the tags of the current one-second GOP, and
/// the writer and policy they go to.
final class Recording {
    let metadata = FLVMediaTag(type: .scriptData, timestamp: 0, data: PublisherFixtures.setDataFrame())
    let sequenceHeaders = [
        FLVMediaTag(type: .video, timestamp: 0, data: PublisherFixtures.videoSequenceHeader()),
        FLVMediaTag(type: .audio, timestamp: 0, data: PublisherFixtures.audioSequenceHeader()),
    ]
    /// Starts as the stream's first second.
    private(set) var gop: [FLVMediaTag]
    var writer = FLVFragmentWriter()
    var policy = FragmentPolicy()

    init() {
        gop = PublisherFixtures.mediaSecond().map { frame in
            FLVMediaTag(
                type: frame.kind == .video ? .video : .audio,
                timestamp: frame.offset,
                isKeyframe: frame.isKeyframe,
                isSequenceHeader: false,
                data: frame.body
            )
        }
        precondition(metadata.isSequenceHeader && sequenceHeaders.allSatisfy(\.isSequenceHeader))
    }

    /// The writer's fragment opened with the metadata and sequence headers, and the first
    /// second written.
    static func withOpenFragment() -> Recording {
        let recording = Recording()
        _ = recording.writer.open(metadata: recording.metadata, sequenceHeaders: recording.sequenceHeaders)
        _ = recording.writer.write(recording.gop)
        return recording
    }

    /// The policy recording a live publisher: task started, publisher live, metadata and
    /// sequence headers received, a fragment opened by the first second, which is held back.
    static func withRecordingPolicy() -> Recording {
        let recording = Recording()
        _ = recording.policy.taskDidStart()
        _ = recording.policy.publisherDidStart()
        for tag in [recording.metadata] + recording.sequenceHeaders + recording.gop {
            _ = recording.policy.mediaTagDidArrive(tag)
        }
        return recording
    }

    /// Moves ``gop`` on to the next second, in place.
    func advance() {
        for index in gop.indices {
            gop[index].timestamp += 1000
        }
    }
}
