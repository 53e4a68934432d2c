import FLV
import Foundation
import LVB
import Logging
import NIOCore
import RTMPServer
import ServiceLifecycle
import Store
import Synchronization
import Testing

/// An RTMP ingest server on a free loopback port over an in-memory store, for one test.
final class IngestHarness: Sendable {
    static let pushKey = "test-push-key"
    let store = InMemoryRecordingStore()
    let hub: ChannelHub
    let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    /// Starts the server and waits until it listens.
    init(configure: (inout RTMPServerConfiguration) -> Void = { _ in }) async throws {
        var logger = Logger(label: "ingest-test")
        logger.logLevel = .warning
        hub = ChannelHub(
            store: store,
            pushKey: Self.pushKey,
            now: { Int64(Date().timeIntervalSince1970) },
            logger: logger
        )
        var configuration = RTMPServerConfiguration(host: "127.0.0.1", port: 0)
        configure(&configuration)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = RTMPIngestServer(configuration: configuration, hub: hub, logger: logger) { port in
            continuation.yield(port)
        }
        group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        let group = self.group
        task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw HarnessError("the server did not start") }
        self.port = port
    }

    /// Stops the server gracefully and waits for it.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }

    /// Adds a channel and returns it with its authorised push URL.
    func makeChannel(
        name: String = "cam",
        status: ChannelStatus = .noInput,
        expiry: Int64? = nil
    ) async throws -> (LiveChannel, String) {
        let streamId = "1000_" + (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let channel = LiveChannel(
            id: String(UInt64.random(in: 10_000_000_000_000_000_000...UInt64.max)),
            name: name,
            outputSourceType: 1,
            sourceName: "cam",
            streamId: streamId,
            status: status,
            createdAt: Int64(Date().timeIntervalSince1970)
        )
        try await store.insertChannel(channel)
        let query = LVBPushAuth.query(
            key: Self.pushKey,
            streamId: streamId,
            expiry: expiry ?? Int64(Date().timeIntervalSince1970) + 3600
        )
        return (channel, "rtmp://127.0.0.1:\(port)/live/\(streamId)?\(query)")
    }

    func status(_ channel: LiveChannel) async throws -> ChannelStatus? {
        await store.channel(id: channel.id)?.status
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Collects what a stream's publishers send.
final class TagCollector: MediaSubscriber {
    struct Snapshot {
        var starts: [LiveStreamInfo] = []
        var tags: [FLVMediaTag] = []
        var ends: [(LiveStreamInfo, PublishEndReason)] = []
    }

    private let state = Mutex(Snapshot())

    func publishStarted(_ stream: LiveStreamInfo) { state.withLock { $0.starts.append(stream) } }
    func received(_ tag: FLVMediaTag) { state.withLock { $0.tags.append(tag) } }
    func publishEnded(_ stream: LiveStreamInfo, reason: PublishEndReason) {
        state.withLock { $0.ends.append((stream, reason)) }
    }

    var snapshot: Snapshot { state.withLock { $0 } }

    /// Waits until `count` publishes have ended.
    func waitForEnds(_ count: Int, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while snapshot.ends.count < count {
            guard ContinuousClock.now < deadline else {
                throw HarnessError("only \(snapshot.ends.count) of \(count) publishes ended")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits until at least `count` media tags arrived.
    func waitForTags(_ count: Int, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while snapshot.tags.count < count {
            guard ContinuousClock.now < deadline else {
                throw HarnessError("only \(snapshot.tags.count) of \(count) tags arrived")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
