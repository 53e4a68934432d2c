import FLV
import Foundation
import NIOCore
import Prometheus
import ServiceLifecycle
import Store
import Telemetry
import Testing

@testable import Recorder

/// The recorder's metrics against what it wrote, through a Prometheus registry of the test's own.
@Suite struct RecorderMetricsTests {
    /// The samples of a registry's exposition, by series (`name{labels}`).
    static func samples(_ registry: PrometheusCollectorRegistry) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in registry.emitToString().split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    @Test func closesAreCountedByReasonAndTagsAsWritten() async throws {
        let data = try temporaryDataFolder()
        let store = InMemoryRecordingStore()
        let source = FakeSource()
        let registry = PrometheusCollectorRegistry()
        let recorder = Recorder(
            configuration: .init(
                dataDirectory: data,
                maximumFragmentDuration: .seconds(10),
                flushInterval: .milliseconds(50)
            ),
            store: store,
            source: source,
            logger: quietLogger,
            metrics: ReelMetrics(factory: PrometheusMetricsFactory(registry: registry))
        )
        let group = ServiceGroup(services: [recorder], logger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // Task 1: 25 s cut twice at the limit, then the publisher stops (an interruption);
            // a second publish is open when the task ends.
            recorder.startRecording(RecorderTests.task(1), streamId: "s")
            try await source.waitForSubscribers("s")
            source.publishStarted("s", publishId: 1)
            source.deliver(Synthetic.headers() + Synthetic.frames(from: 0, until: 25_000), to: "s")
            source.publishEnded("s", publishId: 1)
            source.publishStarted("s", publishId: 2)
            source.deliver(Synthetic.headers() + Synthetic.frames(from: 0, until: 3_000), to: "s")
            try await RecorderTests.stop(recorder, 1)
            // Task 2 has a fragment open when the server shuts down.
            recorder.startRecording(RecorderTests.task(2, channel: "d"), streamId: "t")
            try await source.waitForSubscribers("t")
            source.publishStarted("t")
            source.deliver(Synthetic.headers() + Synthetic.frames(from: 0, until: 2_000), to: "t")
            try await waitUntil("task 2's fragment to open") { Self.samples(registry)["reel_fragments_open"] == 1 }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }

        let fragments = await RecorderTests.fragments(store, task: 1) + RecorderTests.fragments(store, task: 2)
        #expect(fragments.count == 5)
        let samples = Self.samples(registry)
        #expect(samples[#"reel_fragments_closed_total{reason="max_duration"}"#] == 2)
        #expect(samples[#"reel_fragments_closed_total{reason="interruption"}"#] == 1)
        #expect(samples[#"reel_fragments_closed_total{reason="task_ended"}"#] == 1)
        #expect(samples[#"reel_fragments_closed_total{reason="shutdown"}"#] == 1)
        #expect(samples["reel_fragments_opened_total"] == 5)
        #expect(samples["reel_fragments_open"] == 0)
        #expect(samples["reel_fragment_close_duration_seconds_count"] == 5)
        #expect(samples["reel_fragments_recovered_total"] == 0)

        // Tags written are exactly the tags in the files, by type.
        var written: [FLVTagType: Int] = [:]
        for fragment in fragments {
            for tag in try ReadFragment(path: data + "/" + fragment.path).tags { written[tag.type, default: 0] += 1 }
        }
        #expect(samples[#"reel_tags_written_total{type="video"}"#] == Double(written[.video] ?? -1))
        #expect(samples[#"reel_tags_written_total{type="audio"}"#] == Double(written[.audio] ?? -1))
        #expect(samples[#"reel_tags_written_total{type="script"}"#] == 5)
        #expect(written[.scriptData] == 5)
    }

    @Test func recoveredFragmentsAreCounted() async throws {
        let data = try temporaryDataFolder()
        let layout = FragmentLayout(dataDirectory: data)
        try FileManager.default.createDirectory(atPath: layout.channelDirectory("9"), withIntermediateDirectories: true)
        var writer = FLVFragmentWriter(configuration: .init(maximumDuration: .seconds(10)))
        let headers = Synthetic.headers()
        var bytes = writer.open(metadata: headers[0], sequenceHeaders: Array(headers[1...]))
        bytes.writeImmutableBuffer(writer.write(Synthetic.frames(from: 0, until: 2_000)))
        for task in [Int64(1), 2] {
            let name = FragmentLayout.PartName(
                channelId: "9",
                vid: FragmentLayout.newVid(bizId: "1000"),
                taskId: task,
                startTime: 1
            )
            try Data(bytes.readableBytesView.dropLast(3)).write(to: URL(fileURLWithPath: layout.partPath(name)))
        }
        let registry = PrometheusCollectorRegistry()
        let recorder = Recorder(
            configuration: .init(dataDirectory: data),
            store: InMemoryRecordingStore(),
            source: FakeSource(),
            logger: quietLogger,
            metrics: ReelMetrics(factory: PrometheusMetricsFactory(registry: registry))
        )
        #expect(try await recorder.recoverUnfinishedFragments().count == 2)
        #expect(Self.samples(registry)["reel_fragments_recovered_total"] == 2)
        #expect(Self.samples(registry)["reel_fragments_opened_total"] == 0)
    }
}
