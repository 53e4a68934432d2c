import FLV
import NIOCore
import Synchronization
import Testing

@testable import Recorder

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
