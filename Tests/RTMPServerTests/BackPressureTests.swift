import FLV
import Foundation
import RTMPServer
import Synchronization
import Testing

/// A subscriber that asks the publisher to wait once it holds `limit` tags, until released.
final class GatedCollector: MediaSubscriber {
    private struct State {
        var tags: [FLVMediaTag] = []
        var ends: [PublishEndReason] = []
        var isOpen = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        var waits = 0
    }

    private let state = Mutex(State())
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    func publishStarted(_ stream: LiveStreamInfo) {}
    func received(_ tag: FLVMediaTag) { state.withLock { $0.tags.append(tag) } }
    func publishEnded(_ stream: LiveStreamInfo, reason: PublishEndReason) { state.withLock { $0.ends.append(reason) } }

    var wantsPublisherToWait: Bool { state.withLock { !$0.isOpen && $0.tags.count >= limit } }

    func waitForCapacity() async {
        await withCheckedContinuation { continuation in
            let waitNow = state.withLock { state in
                guard !state.isOpen else { return false }
                state.waits += 1
                state.waiters.append(continuation)
                return true
            }
            if !waitNow { continuation.resume() }
        }
    }

    /// Stops holding the publisher back.
    func open() {
        let waiters = state.withLock { state in
            state.isOpen = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    var tags: [FLVMediaTag] { state.withLock { $0.tags } }
    var ends: [PublishEndReason] { state.withLock { $0.ends } }
    var waits: Int { state.withLock { $0.waits } }
}

@Suite struct BackPressureTests {
    /// A subscriber that falls behind stops the connection from reading (TCP holds the
    /// publisher back) instead of queueing without bound; the pause is not mistaken for an
    /// idle publisher, and nothing is lost when the subscriber catches up.
    @Test func aSlowSubscriberHoldsThePublisherBackWithoutTimingItOut() async throws {
        let harness = try await IngestHarness { $0.idleTimeout = .seconds(3) }
        let (channel, url) = try await harness.makeChannel()
        let collector = GatedCollector(limit: 10)
        harness.hub.subscribe(collector, streamId: channel.streamId)
        let name = String(url.split(separator: "/").last!)
        let sent = 300
        // Once the publisher is held back, keep it so for more than twice the idle timeout
        // (its sends may block meanwhile: TCP is what holds it), then let the subscriber catch up.
        let gate = Task {
            let deadline = ContinuousClock.now + .seconds(30)
            while collector.waits == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            try await Task.sleep(for: .seconds(7))
            let whileHeld = (waits: collector.waits, tags: collector.tags.count, ends: collector.ends)
            collector.open()
            return whileHeld
        }
        try await RTMPTestClient.with(port: harness.port) { client in
            try await client.handshake()
            #expect(try await client.publish(name) == "NetStream.Publish.Start")
            for index in 0..<sent {
                try await client.video(timestamp: UInt64(index * 40), keyframe: index % 50 == 0, size: 2_000)
            }
            let deadline = ContinuousClock.now + .seconds(30)
            while collector.tags.count < sent && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        let whileHeld = try await gate.value
        #expect(whileHeld.waits == 1)
        #expect(whileHeld.tags == 10)
        #expect(whileHeld.ends.isEmpty)
        let tags = collector.tags
        #expect(tags.count == sent)
        #expect(tags.map(\.timestamp) == (0..<sent).map { Int64($0 * 40) })
        // The publish ends once, when the client goes (how exactly depends on the machine's load).
        let deadline = ContinuousClock.now + .seconds(30)
        while collector.ends.isEmpty && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(collector.ends.count == 1)
        try await harness.stop()
    }
}
