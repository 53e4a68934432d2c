import FLV
import Foundation
import Logging
import NIOCore
import Store
import Synchronization
import Testing

@testable import Recorder

/// The VOD library side of the recorder: fragments announced with their rows, and the
/// start-up reconciliation of the store and the blob store.
@Suite struct LibraryTests {
    /// An announcer that queues one marker event per fragment and counts wake-ups.
    final class Counter: Sendable {
        private let value = Mutex(0)
        func increment() { value.withLock { $0 += 1 } }
        var count: Int { value.withLock { $0 } }
    }

    static func announcer(wakeups: Counter) -> EventAnnouncer {
        EventAnnouncer(
            publishStarted: { _ in [] }, publishEnded: { _ in [] },
            fragmentRecorded: { fragment, streamId in
                [OutboxEvent(eventId: "file-\(fragment.vid)", type: 100, payload: "{\"stream\":\"\(streamId)\"}", createdAt: 0)]
            },
            queued: { wakeups.increment() }
        )
    }

    @Test func everyRegisteredFragmentIsAnnouncedOnceWithItsRow() async throws {
        let data = try temporaryDataFolder()
        let store = InMemoryRecordingStore()
        let source = FakeSource()
        let wakeups = Counter()
        let recorder = Recorder(
            configuration: .init(dataDirectory: data, maximumFragmentDuration: .seconds(10), flushInterval: .milliseconds(50)),
            store: store, source: source, announcer: Self.announcer(wakeups: wakeups), logger: quietLogger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await recorder.run() }
            recorder.startRecording(RecorderTests.task(1), streamId: "s")
            try await source.waitForSubscribers("s")
            source.publishStarted("s")
            source.deliver(Synthetic.headers() + Synthetic.frames(from: 0, until: 25_000), to: "s")
            try await RecorderTests.stop(recorder, 1)
            group.cancelAll()
        }
        let fragments = await RecorderTests.fragments(store, task: 1)
        #expect(fragments.count == 3)
        let events = await store.queuedEvents(limit: 10)
        #expect(events.map(\.eventId) == fragments.sorted { $0.startTime < $1.startTime }.map { "file-\($0.vid)" })
        #expect(events.allSatisfy { $0.payload == "{\"stream\":\"s\"}" })
        #expect(wakeups.count == 3)
        // Each announced fragment's file is in the library when the wake-up comes.
        for fragment in fragments {
            #expect(FileManager.default.fileExists(atPath: data + "/" + fragment.path))
        }
    }

    @Test func recoveryAnnouncesTheRecoveredFragment() async throws {
        let data = try temporaryDataFolder()
        let layout = FragmentLayout(dataDirectory: data)
        let name = FragmentLayout.PartName(channelId: "77", vid: FragmentLayout.newVid(bizId: "1000"), taskId: 5, startTime: 1_000)
        try FileManager.default.createDirectory(atPath: layout.channelDirectory("77"), withIntermediateDirectories: true)
        var writer = FLVFragmentWriter()
        let headers = Synthetic.headers()
        var bytes = writer.open(metadata: headers[0], sequenceHeaders: Array(headers[1...]))
        bytes.writeImmutableBuffer(writer.write(Synthetic.frames(from: 0, until: 2_000)))
        try Data(bytes.readableBytesView).write(to: URL(fileURLWithPath: layout.partPath(name)))
        let store = InMemoryRecordingStore()
        try await store.insertChannel(
            LiveChannel(
                id: "77", name: "n", describe: nil, outputSourceType: 1, playerPassword: nil, sourceName: "s",
                streamId: "1000_stream77", outputRates: [0], watermarkId: nil, status: .noInput, createdAt: 0
            )
        )
        let wakeups = Counter()
        let recorder = Recorder(
            configuration: .init(dataDirectory: data), store: store, source: FakeSource(),
            announcer: Self.announcer(wakeups: wakeups), logger: quietLogger
        )
        let recovered = try await recorder.recoverUnfinishedFragments()
        #expect(recovered.count == 1)
        #expect(await store.queuedEvents(limit: 10).map(\.payload) == ["{\"stream\":\"1000_stream77\"}"])
        #expect(wakeups.count == 1)
    }

    @Test func reconciliationRemovesRowsWithoutFilesAndQuarantinesFilesWithoutRows() async throws {
        let data = try temporaryDataFolder()
        let store = InMemoryRecordingStore()
        let blobs = LocalBlobStore(dataDirectory: data)
        func fragment(_ hex: String, path: String? = nil) -> RecordFragment {
            let vid = "1000_" + hex + String(repeating: "0", count: 32 - hex.count)
            return RecordFragment(
                fileId: "1\(hex.count)\(hex.hashValue & 0xffff)", vid: vid, taskId: 1, channelId: "c", startTime: 0,
                endTime: 1, duration: 1, size: 1, path: path ?? blobs.location(of: vid)
            )
        }
        func stage(_ fragment: RecordFragment) async throws {
            let staged = data + "/staged"
            try Data("bytes of \(fragment.vid)".utf8).write(to: URL(fileURLWithPath: staged))
            try await blobs.put(fragment.vid, from: staged)
        }
        // Given a healthy fragment, a row whose file is gone, a file no row names, and a
        // fragment an earlier version kept beside its part files
        let healthy = fragment("aa01")
        let rowOnly = fragment("bb02")
        let fileOnly = fragment("cc03")
        let legacy = fragment("dd04", path: "fragments/c/1000_dd04\(String(repeating: "0", count: 28)).flv")
        for row in [healthy, rowOnly, legacy] { try await store.insertFragment(row) }
        try await stage(healthy)
        try await stage(fileOnly)
        try FileManager.default.createDirectory(atPath: data + "/fragments/c", withIntermediateDirectories: true)
        try Data("legacy".utf8).write(to: URL(fileURLWithPath: data + "/" + legacy.path))

        let recorder = Recorder(configuration: .init(dataDirectory: data), store: store, source: FakeSource(), logger: quietLogger)
        let fixed = try await recorder.reconcileLibrary()

        // Then the store and the library agree, and nothing that exists was deleted
        #expect(fixed.rowsWithoutFile == [rowOnly.vid])
        #expect(fixed.filesWithoutRow == [fileOnly.vid])
        #expect(await store.fragment(vid: rowOnly.vid) == nil)
        #expect(await store.fragment(vid: healthy.vid) == healthy)
        #expect(await store.fragment(vid: legacy.vid) == legacy)
        #expect(try await !blobs.contains(fileOnly.vid))
        #expect(try Data(contentsOf: URL(fileURLWithPath: data + "/lost+found/\(fileOnly.vid).flv")) == Data("bytes of \(fileOnly.vid)".utf8))
        #expect(try await blobs.contains(healthy.vid))
        // and a second pass finds nothing to fix.
        #expect(try await recorder.reconcileLibrary() == Recorder.Reconciliation())
    }

    @Test func aLibraryThatLooksUnmountedIsLeftAlone() async throws {
        let data = try temporaryDataFolder()
        let store = InMemoryRecordingStore()
        let blobs = LocalBlobStore(dataDirectory: data)
        // 300 registered fragments, not one file: the library folder is not there.
        for n in 0..<300 {
            let vid = "1000_" + String(format: "%032x", n)
            try await store.insertFragment(
                RecordFragment(fileId: String(n), vid: vid, taskId: 1, channelId: "c", startTime: 0, endTime: 0,
                               duration: 0, size: 1, path: blobs.location(of: vid))
            )
        }
        let recorder = Recorder(configuration: .init(dataDirectory: data), store: store, source: FakeSource(), logger: quietLogger)
        #expect(try await recorder.reconcileLibrary() == Recorder.Reconciliation())
        #expect(await store.fragments(afterVid: nil, limit: 1_000).count == 300)
    }

    @Test func reconciliationPagesThroughManyRows() async throws {
        let data = try temporaryDataFolder()
        let store = InMemoryRecordingStore()
        let blobs = LocalBlobStore(dataDirectory: data)
        // 2,500 rows, every thirtieth without its file.
        var missing: [String] = []
        for n in 0..<2_500 {
            let vid = "1000_" + String(format: "%032x", n * 7919)
            try await store.insertFragment(
                RecordFragment(fileId: String(n), vid: vid, taskId: 1, channelId: "c", startTime: Int64(n), endTime: Int64(n),
                               duration: 0, size: 1, path: blobs.location(of: vid))
            )
            if n % 30 == 0 {
                missing.append(vid)
            } else {
                let staged = data + "/staged"
                #expect(FileManager.default.createFile(atPath: staged, contents: Data([1])))
                try await blobs.put(vid, from: staged)
            }
        }
        let recorder = Recorder(configuration: .init(dataDirectory: data), store: store, source: FakeSource(), logger: quietLogger)
        let fixed = try await recorder.reconcileLibrary()
        #expect(fixed.rowsWithoutFile.sorted() == missing.sorted())
        #expect(fixed.filesWithoutRow.isEmpty)
        #expect(await store.fragments(afterVid: nil, limit: 10_000).count == 2_500 - missing.count)
    }
}
