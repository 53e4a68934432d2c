import FLV
import Foundation
import NIOCore
import Synchronization
import Testing

@testable import Recorder

@Suite struct FragmentFileTests {
    /// A body of `count` bytes, each from `seed`, as its own buffer or a slice of a larger one.
    private static func body(_ count: Int, seed: Int, slice: Bool) -> ByteBuffer {
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: seed &* 31 &+ $0) }
        guard slice else { return ByteBuffer(bytes: bytes) }
        var larger = ByteBuffer(bytes: [0xEE, 0xEE] + bytes + [0xEE])
        larger.moveReaderIndex(forwardBy: 2)
        return larger.readSlice(length: count)!
    }

    @Test func gatherWritesKeepEveryByteInOrderAcrossThousandsOfPieces() async throws {
        let folder = try temporaryDataFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/a/b.flv.part"
        let file = try await FragmentFile.create(partPath: path)
        var expected = ByteBuffer()
        let front = Self.body(13, seed: 1, slice: false)
        try await file.append(front)
        expected.writeImmutableBuffer(front)
        // 3,000 tags alternating bodies just over and under the slicing threshold: more than
        // a thousand pieces per flush, flushes triggered by size, and small bodies copied.
        for index in 0..<3_000 {
            let size = index % 3 == 0 ? FragmentFile.sliceThreshold - 1 : FragmentFile.sliceThreshold + index % 7
            let data = Self.body(size, seed: index, slice: index % 2 == 0)
            let type: FLVTagType = index % 3 == 0 ? .audio : .video
            try await file.appendTag(type: type, timestamp: UInt32(index * 40), data: data)
            expected.writeFLVTagHeader(type: type, timestamp: UInt32(index * 40), dataSize: size)
            expected.writeImmutableBuffer(data)
            expected.writeInteger(UInt32(FLVTag.headerLength + size))
            #expect(file.size == expected.readableBytes)
        }
        // Truncating drops what follows, buffered or not; appends continue from there.
        let cut = expected.readableBytes - 5_000
        try await file.truncate(to: cut)
        expected.moveWriterIndex(to: cut)
        let after = Self.body(70_000, seed: 9, slice: true)
        try await file.append(after)
        expected.writeImmutableBuffer(after)
        #expect(file.hasPendingBytes)
        try await file.flush()
        #expect(!file.hasPendingBytes)
        // Completing writes the front again at 0 and cuts to the final length.
        let newFront = Self.body(13, seed: 2, slice: false)
        try await file.complete(writing: newFront, at: 0, length: expected.readableBytes - 100)
        expected.setBuffer(newFront, at: 0)
        expected.moveWriterIndex(to: expected.readableBytes - 100)
        let written = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(written.count == expected.readableBytes)
        #expect(written == Data(expected.readableBytesView))
    }

    @Test func abandoningWritesWhatIsBufferedAndKeepsThePartFile() async throws {
        let folder = try temporaryDataFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/c.flv.part"
        let file = try await FragmentFile.create(partPath: path)
        let first = Self.body(5_000, seed: 3, slice: true)
        let second = Self.body(10, seed: 4, slice: false)
        try await file.append(first)
        try await file.append(second)
        file.abandon()
        let written = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(written == Data(first.readableBytesView) + Data(second.readableBytesView))
    }
}

/// Whether a waiting task went on.
private final class Released: Sendable {
    let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
}

@Suite struct RecorderInboxTests {
    private static func tag(_ bytes: Int) -> TaskRecorder.Event {
        .tag(FLVMediaTag(type: .video, timestamp: 0, data: ByteBuffer(repeating: 0x27, count: bytes)))
    }

    @Test func aPublisherWaitsAboveTheHighWaterMarkUntilTheRecorderTakesTheQueue() async throws {
        let inbox = RecorderInbox(highWaterMark: 1_000)
        inbox.push(Self.tag(600))
        #expect(!inbox.isOverHighWaterMark)
        await inbox.waitForCapacity()  // under the mark: returns at once
        inbox.push(.flushTick)
        inbox.push(Self.tag(600))
        #expect(inbox.isOverHighWaterMark)
        let released = Released()
        let publisher = Task {
            await inbox.waitForCapacity()
            released.value.store(true, ordering: .relaxed)
        }
        try await Task.sleep(for: .milliseconds(200))
        #expect(!released.isSet)
        var batch: [TaskRecorder.Event] = []
        #expect(await inbox.take(into: &batch))
        #expect(batch.count == 3)
        await publisher.value
        #expect(released.isSet)
        #expect(!inbox.isOverHighWaterMark)
    }

    @Test func tagsWakeTheRecorderOnlyAboveTheWakeThresholdAndAnyOtherEventAtOnce() async throws {
        let inbox = RecorderInbox(wakeThreshold: 1_000)
        // A recorder waiting for events, reporting each batch it takes.
        let (batches, continuation) = AsyncStream.makeStream(of: Int.self)
        let recorder = Task {
            var batch: [TaskRecorder.Event] = []
            while await inbox.take(into: &batch) { continuation.yield(batch.count) }
            continuation.finish()
        }
        var taken = batches.makeAsyncIterator()
        func recorderWaits() async throws {
            while !inbox.isRecorderWaiting { try await Task.sleep(for: .milliseconds(5)) }
        }
        try await recorderWaits()
        inbox.push(Self.tag(600))
        #expect(inbox.hasQueuedEvents)
        try await Task.sleep(for: .milliseconds(200))
        #expect(inbox.hasQueuedEvents)  // 600 bytes: still queued, the recorder sleeps on
        inbox.push(Self.tag(600))  // 1,200 bytes: wakes it
        #expect(await taken.next() == 2)
        try await recorderWaits()
        inbox.push(Self.tag(10))
        try await Task.sleep(for: .milliseconds(200))
        #expect(inbox.hasQueuedEvents)
        inbox.push(.flushTick)  // the ticker's event wakes it whatever is queued
        #expect(await taken.next() == 2)
        #expect(!inbox.hasQueuedEvents)
        try await recorderWaits()
        inbox.push(.publishEnded(7))
        #expect(await taken.next() == 1)
        inbox.finish()
        await recorder.value
        #expect(await taken.next() == nil)
    }

    @Test func finishingOrCancellingReleasesAWaitingPublisher() async throws {
        let inbox = RecorderInbox(highWaterMark: 10)
        inbox.push(Self.tag(100))
        let cancelled = Task { await inbox.waitForCapacity() }
        try await Task.sleep(for: .milliseconds(50))
        cancelled.cancel()
        await cancelled.value
        let waiting = Task { await inbox.waitForCapacity() }
        try await Task.sleep(for: .milliseconds(50))
        inbox.finish()
        await waiting.value
        // Finished: pushes are ignored and nobody waits.
        inbox.push(Self.tag(100))
        #expect(!inbox.isOverHighWaterMark)
        var batch: [TaskRecorder.Event] = []
        #expect(await inbox.take(into: &batch))  // what was queued before finishing
        #expect(!(await inbox.take(into: &batch)) && batch.isEmpty)
    }
}
