import FLV
import Foundation
import NIOCore
import RTMPServer
import ServiceLifecycle
import Store
import Testing

@testable import Recorder

@Suite struct RecorderTests {
    /// A recorder on a fake source with a 10 s fragment limit, running for the test's body.
    static func withRecorder(
        maximumFragmentDuration: Duration = .seconds(10),
        _ body: (Recorder, FakeSource, InMemoryRecordingStore, String) async throws -> Void
    ) async throws {
        let data = try temporaryDataFolder()
        let store = InMemoryRecordingStore()
        let source = FakeSource()
        let recorder = Recorder(
            configuration: .init(
                dataDirectory: data, bizId: "1234", maximumFragmentDuration: maximumFragmentDuration,
                flushInterval: .milliseconds(50)
            ),
            store: store, source: source, logger: quietLogger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await recorder.run() }
            try await body(recorder, source, store, data)
            group.cancelAll()
        }
    }

    static func task(_ id: Int64, channel: String = "c") -> RecordTask {
        RecordTask(id: id, channelId: channel, startTime: 0, endTime: 1, status: .running, createdAt: 0)
    }

    static func stop(_ recorder: Recorder, _ id: Int64) async throws {
        recorder.stopRecording(taskId: id)
        try await waitUntil("task \(id) to stop", seconds: 120) { !recorder.activeTaskIds.contains(id) }
    }

    static func fragments(_ store: InMemoryRecordingStore, task: Int64) async -> [RecordFragment] {
        await store.fragments(FragmentQuery(scope: .task(task), pageSize: 100)).fragments
    }

    @Test func cutsAt10SecondsOnKeyframesLosingNothing() async throws {
        try await Self.withRecorder { recorder, source, store, data in
            recorder.startRecording(Self.task(1), streamId: "s")
            try await source.waitForSubscribers("s")
            source.publishStarted("s")
            let frames = Synthetic.frames(from: 5_000, until: 40_000)
            source.deliver(Synthetic.headers() + frames, to: "s")
            source.publishEnded("s")
            try await Self.stop(recorder, 1)

            let fragments = await Self.fragments(store, task: 1)
            #expect(fragments.count == 4)
            var serials: [Int] = []
            for fragment in fragments {
                #expect(FragmentLayout.isVid(fragment.vid) && fragment.vid.hasPrefix("1234_"))
                #expect(fragment.fileId.count == 20 && UInt64(fragment.fileId) != nil)
                #expect(fragment.path == LocalBlobStore(dataDirectory: data).location(of: fragment.vid))
                #expect(fragment.path.hasPrefix("library/") && fragment.path.hasSuffix("/\(fragment.vid).flv"))
                let file = try ReadFragment(path: data + "/" + fragment.path)
                #expect(file.bytes.readableBytes == Int(fragment.size))
                #expect(file.metadataIsComplete)
                // metadata, AVC and AAC sequence headers, then a keyframe
                #expect(file.tags[0].type == .scriptData)
                #expect(file.tags[1].data.readableBytesView.starts(with: [0x17, 0x00]))
                #expect(file.tags[2].data.readableBytesView.starts(with: [0xAF, 0x00]))
                #expect(file.frames.first?.data.readableBytesView.starts(with: [0x17, 0x01]) == true)
                #expect(file.frames.first?.timestamp == 0)
                let span = Int64(file.frames.last!.timestamp)
                #expect(span <= 10_000 && span == fragment.duration)
                serials += file.serials
            }
            #expect(fragments.map(\.duration) == [9_960, 9_960, 9_960, 4_960])
            #expect(serials == Array(0..<frames.count))
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: data + "/fragments/c").filter { $0.hasSuffix(".part") }
            #expect(leftovers.isEmpty)
        }
    }

    @Test func anHourOfMediaAtTheDefaultCeilingEndingMidGOP() async throws {
        try await Self.withRecorder(maximumFragmentDuration: .seconds(1800)) { recorder, source, store, data in
            recorder.startRecording(Self.task(1), streamId: "s")
            try await source.waitForSubscribers("s")
            source.publishStarted("s")
            source.deliver(Synthetic.headers(), to: "s")
            // An hour and 2 s of media (a frame pair every 500 ms), delivered a minute at a time;
            // the task ends 1.5 s into a GOP.
            var delivered = 0
            for minute in stride(from: Int64(0), to: 3_602_000, by: 60_000) {
                let frames = Synthetic.frames(
                    from: minute, until: min(minute + 60_000, 3_602_000), step: 500, firstSerial: delivered
                )
                delivered += frames.count
                source.deliver(frames, to: "s")
            }
            try await Self.stop(recorder, 1)
            let fragments = await Self.fragments(store, task: 1)
            #expect(fragments.map(\.duration) == [1_799_500, 1_799_500, 1_500])
            var serials: [Int] = []
            for fragment in fragments {
                let file = try ReadFragment(path: data + "/" + fragment.path)
                #expect(file.metadataIsComplete)
                #expect(file.frames.first?.data.readableBytesView.starts(with: [0x17, 0x01]) == true)
                serials += file.serials
            }
            #expect(serials == Array(0..<delivered))
        }
    }

    @Test func aTimestampJumpIsRebasedAndTheHeldGOPRewritten() async throws {
        try await Self.withRecorder { recorder, source, store, data in
            recorder.startRecording(Self.task(1), streamId: "s")
            try await source.waitForSubscribers("s")
            source.publishStarted("s")
            let before = Synthetic.frames(from: 0, until: 3_000)
            // 57 s forward in the middle of a GOP: beyond the 10 s jump threshold
            let after = Synthetic.frames(from: 60_000, until: 63_000, firstSerial: before.count)
            source.deliver(Synthetic.headers() + before + after, to: "s")
            try await Self.stop(recorder, 1)
            let fragments = await Self.fragments(store, task: 1)
            #expect(fragments.count == 1)
            let file = try ReadFragment(path: data + "/" + fragments[0].path)
            #expect(file.metadataIsComplete)
            #expect(file.serials == Array(0..<(before.count + after.count)))
            let times = file.frames.map(\.timestamp)
            #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
            #expect(fragments[0].duration == 5_920 && Int64(times.last!) == fragments[0].duration)
        }
    }

    @Test func aStreamInterruptionClosesTheFragmentAndTheReturnOpensANewOne() async throws {
        try await Self.withRecorder { recorder, source, store, data in
            recorder.startRecording(Self.task(1), streamId: "s")
            try await source.waitForSubscribers("s")
            source.publishStarted("s", publishId: 1)
            source.deliver(Synthetic.headers() + Synthetic.frames(from: 0, until: 3_000), to: "s")
            source.publishEnded("s", publishId: 1)
            source.publishStarted("s", publishId: 2)
            source.deliver(Synthetic.headers() + Synthetic.frames(from: 0, until: 2_000, firstSerial: 1000), to: "s")
            source.publishEnded("s", publishId: 2)
            try await Self.stop(recorder, 1)
            let fragments = await Self.fragments(store, task: 1)
            #expect(fragments.count == 2)
            #expect(try fragments.map { try ReadFragment(path: data + "/" + $0.path).serials } == [Array(0..<150), Array(1000..<1100)])
        }
    }

    @Test func joiningALiveStreamMidGOPStartsOnTheNextKeyframe() async throws {
        try await Self.withRecorder { recorder, source, store, data in
            // A publisher is live before the task starts
            source.publishStarted("s")
            recorder.startRecording(Self.task(1), streamId: "s")
            try await source.waitForSubscribers("s")
            // The hub tells a late subscriber: publish started, metadata and sequence headers, then live tags.
            let frames = Synthetic.frames(from: 0, until: 6_000)
            source.deliver(Synthetic.headers() + frames.filter { $0.timestamp >= 1_000 }, to: "s")
            try await Self.stop(recorder, 1)
            let fragments = await Self.fragments(store, task: 1)
            #expect(fragments.count == 1)
            let file = try ReadFragment(path: data + "/" + fragments[0].path)
            #expect(file.frames.first?.data.readableBytesView.starts(with: [0x17, 0x01]) == true)
            #expect(file.serials == Array(100..<300))
        }
    }

    @Test func twoTasksOnOneChannelEachGetTheirOwnFragments() async throws {
        try await Self.withRecorder { recorder, source, store, data in
            recorder.startRecording(Self.task(1), streamId: "s")
            recorder.startRecording(Self.task(2), streamId: "s")
            recorder.startRecording(Self.task(2), streamId: "s")  // already recording: ignored
            try await source.waitForSubscribers("s", count: 2)
            source.publishStarted("s")
            source.deliver(Synthetic.headers() + Synthetic.frames(from: 0, until: 4_000), to: "s")
            source.publishEnded("s")
            try await Self.stop(recorder, 1)
            try await Self.stop(recorder, 2)
            let first = await Self.fragments(store, task: 1)
            let second = await Self.fragments(store, task: 2)
            #expect(first.count == 1 && second.count == 1 && first[0].vid != second[0].vid)
            #expect(try ReadFragment(path: data + "/" + first[0].path).bytes == ReadFragment(path: data + "/" + second[0].path).bytes)
        }
    }

    @Test func theGOPInProgressReachesTheFileWithinTheFlushInterval() async throws {
        try await Self.withRecorder { recorder, source, store, data in
            recorder.startRecording(Self.task(1), streamId: "s")
            try await source.waitForSubscribers("s")
            source.publishStarted("s")
            // 1.9 s of one GOP: the policy holds all of it back, the driver writes it through.
            let frames = Synthetic.frames(from: 0, until: 1_900)
            source.deliver(Synthetic.headers() + frames, to: "s")
            let folder = data + "/fragments/c"
            try await waitUntil("the part file to hold every tag") {
                guard let name = try? FileManager.default.contentsOfDirectory(atPath: folder).first(where: { $0.hasSuffix(".part") }),
                    let bytes = try? Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
                else { return false }
                var repair = FLVRepair()
                var buffer = ByteBuffer(bytes: bytes)
                repair.consume(&buffer)
                return (try? repair.finish().tagCount) == 2 + frames.count
            }
            try await Self.stop(recorder, 1)
            let fragments = await Self.fragments(store, task: 1)
            #expect(fragments.count == 1)
            #expect(try ReadFragment(path: data + "/" + fragments[0].path).serials == Array(0..<frames.count))
        }
    }

    @Test func gracefulShutdownCompletesTheOpenFragment() async throws {
        let data = try temporaryDataFolder()
        let store = InMemoryRecordingStore()
        let source = FakeSource()
        let recorder = Recorder(configuration: .init(dataDirectory: data), store: store, source: source, logger: quietLogger)
        let group = ServiceGroup(services: [recorder], logger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            recorder.startRecording(Self.task(1), streamId: "s")
            try await source.waitForSubscribers("s")
            source.publishStarted("s")
            source.deliver(Synthetic.headers() + Synthetic.frames(from: 0, until: 3_000), to: "s")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        // The publisher is still live, but the fragment is complete and registered.
        let fragments = await Self.fragments(store, task: 1)
        #expect(fragments.count == 1)
        let file = try ReadFragment(path: data + "/" + fragments[0].path)
        #expect(file.metadataIsComplete && file.serials == Array(0..<150))
        // Nothing is left in staging; the file is in the library.
        #expect(try FileManager.default.contentsOfDirectory(atPath: data + "/fragments/c") == [])
        #expect(fragments[0].path == LocalBlobStore(dataDirectory: data).location(of: fragments[0].vid))
        #expect(source.subscriberCount("s") == 0)
        // The task itself is not ended: that is the scheduler's, from the store.
        recorder.startRecording(Self.task(2), streamId: "s")
        #expect(recorder.activeTaskIds.isEmpty)
    }

    @Test func recoveryFinishesAFragmentCutShortByACrash() async throws {
        let data = try temporaryDataFolder()
        let layout = FragmentLayout(dataDirectory: data)
        let name = FragmentLayout.PartName(channelId: "77", vid: FragmentLayout.newVid(bizId: "1000"), taskId: 5, startTime: 1_800_000_000_000)
        try FileManager.default.createDirectory(atPath: layout.channelDirectory("77"), withIntermediateDirectories: true)
        // Given a part file as the recorder writes it, cut in the middle of a tag
        var writer = FLVFragmentWriter(configuration: .init(maximumDuration: .seconds(10)))
        let headers = Synthetic.headers()
        var bytes = writer.open(metadata: headers[0], sequenceHeaders: Array(headers[1...]))
        let frames = Synthetic.frames(from: 0, until: 3_000)
        bytes.writeImmutableBuffer(writer.write(frames))
        let cut = bytes.readableBytes - 7
        try Data(bytes.readableBytesView.prefix(cut)).write(to: URL(fileURLWithPath: layout.partPath(name)))
        // and an empty one, as left by a crash right after creating it
        let empty = FragmentLayout.PartName(channelId: "77", vid: FragmentLayout.newVid(bizId: "1000"), taskId: 5, startTime: 1)
        #expect(FileManager.default.createFile(atPath: layout.partPath(empty), contents: Data()))

        let store = InMemoryRecordingStore()
        let recorder = Recorder(configuration: .init(dataDirectory: data), store: store, source: FakeSource(), logger: quietLogger)
        let recovered = try await recorder.recoverUnfinishedFragments()

        #expect(recovered.count == 1)
        let fragment = try #require(recovered.first)
        #expect(fragment.vid == name.vid && fragment.taskId == 5 && fragment.channelId == "77" && fragment.recovered)
        #expect(fragment.startTime == name.startTime && fragment.duration == 2_960)
        #expect(await store.fragments(FragmentQuery(scope: .task(5))).fragments == [fragment])
        let file = try ReadFragment(path: data + "/" + fragment.path)
        #expect(file.metadataIsComplete)
        #expect(file.serials == Array(0..<(frames.count - 1)))
        #expect(Int64(file.bytes.readableBytes) == fragment.size)
        #expect(try FileManager.default.contentsOfDirectory(atPath: layout.channelDirectory("77")) == [])
        #expect(fragment.path == LocalBlobStore(dataDirectory: data).location(of: name.vid))
        // Recovering again finds nothing
        #expect(try await recorder.recoverUnfinishedFragments().isEmpty)
    }
}
