import FLV
import Foundation
import LVB
import Logging
import NIOCore
import RTMPCore
import RTMPServer
import Store
import Synchronization
import Testing

@Suite struct ChannelHubTests {
    let store = InMemoryRecordingStore()
    let hub: ChannelHub
    let now: Int64 = 1_800_000_000

    init() {
        let now = self.now
        hub = ChannelHub(store: store, pushKey: "k", now: { now }, logger: Logger(label: "hub-test"))
    }

    func channel(status: ChannelStatus = .noInput) async throws -> LiveChannel {
        let channel = LiveChannel(
            id: String(UInt64.random(in: 10_000_000_000_000_000_000...UInt64.max)),
            name: "c",
            outputSourceType: 1,
            sourceName: "cam",
            streamId: "1000_\(UUID().uuidString.lowercased())",
            status: status,
            createdAt: now
        )
        try await store.insertChannel(channel)
        return channel
    }

    func request(
        _ channel: LiveChannel,
        app: String = "live",
        expiry: Int64? = nil,
        key: String = "k"
    ) -> RTMPPublishRequest {
        RTMPPublishRequest(
            app: app,
            streamName: channel.streamId,
            query: LVBPushAuth.query(key: key, streamId: channel.streamId, expiry: expiry ?? now + 60),
            messageStreamID: 1
        )
    }

    func refusal(_ request: RTMPPublishRequest) async -> ChannelHub.Refusal? {
        do {
            _ = try await hub.authorize(request) {}
            return nil
        } catch {
            return error
        }
    }

    @Test func grantsAValidPushAndTracksStatus() async throws {
        let channel = try await channel()
        let stream = try await hub.authorize(request(channel)) {}
        #expect(stream.info.channelId == channel.id)
        #expect(try await store.channel(id: channel.id)?.status == .live)
        #expect(hub.isLive(streamId: channel.streamId))
        await hub.publishEnded(stream, reason: .unpublished)
        #expect(try await store.channel(id: channel.id)?.status == .noInput)
        #expect(!hub.isLive(streamId: channel.streamId))
        // Ending twice changes nothing.
        await hub.publishEnded(stream, reason: .connectionLost)
        #expect(try await store.channel(id: channel.id)?.status == .noInput)

        let again = try await hub.authorize(request(channel)) {}
        #expect(again.info.publishId > stream.info.publishId)
        await hub.publishEnded(again, reason: .connectionLost)
        #expect(try await store.channel(id: channel.id)?.status == .abnormal)
        // An abnormal channel accepts the next publisher.
        let third = try await hub.authorize(request(channel)) {}
        await hub.publishEnded(third, reason: .idleTimeout)
        #expect(try await store.channel(id: channel.id)?.status == .abnormal)
    }

    @Test func refusesWithTheRightStatusCodes() async throws {
        let channel = try await channel()
        #expect(await refusal(request(channel, app: "other"))?.code == .publishBadName)
        var unknown = request(channel)
        unknown.streamName = "1000_nope"
        #expect(await refusal(unknown)?.code == .publishBadName)
        #expect(await refusal(request(channel, key: "wrong"))?.code == .publishRejected)
        #expect(await refusal(request(channel, expiry: now - 1))?.description.contains("expired") == true)
        var noAuth = request(channel)
        noAuth.query = nil
        #expect(await refusal(noAuth)?.code == .publishRejected)
        let stopped = try await self.channel(status: .closed)
        #expect(await refusal(request(stopped))?.description.contains("stopped") == true)
        #expect(try await store.channel(id: channel.id)?.status == .noInput)

        let first = try await hub.authorize(request(channel)) {}
        let second = await refusal(request(channel))
        #expect(second?.code == .publishBadName)
        #expect(second?.description.contains("already being published") == true)
        // The first publish is undisturbed.
        #expect(hub.isLive(streamId: channel.streamId))
        #expect(try await store.channel(id: channel.id)?.status == .live)
        await hub.publishEnded(first, reason: .unpublished)
    }

    @Test func credentialsMayComeWithTheAppInsteadOfTheStreamName() async throws {
        let channel = try await channel()
        var request = request(channel)
        request.appQuery = request.query
        request.query = nil
        let stream = try await hub.authorize(request) {}
        await hub.publishEnded(stream, reason: .unpublished)
    }

    @Test func stopAndDeleteDisconnectThePublisherAndKeepTheirStatus() async throws {
        let channel = try await channel()
        let disconnected = Mutex(0)
        let stream = try await hub.authorize(request(channel)) { disconnected.withLock { $0 += 1 } }
        try await store.setChannelStatus(.closed, ids: [channel.id])
        await hub.disconnectPublishers(streamIds: [channel.streamId, "1000_other"])
        #expect(disconnected.withLock { $0 } == 1)
        await hub.publishEnded(stream, reason: .stoppedByServer)
        #expect(try await store.channel(id: channel.id)?.status == .closed)

        let other = try await self.channel()
        let live = try await hub.authorize(request(other)) { disconnected.withLock { $0 += 1 } }
        try await store.deleteChannels(ids: [other.id])
        await hub.disconnectPublishers(streamIds: [other.streamId])
        await hub.publishEnded(live, reason: .stoppedByServer)
        #expect(disconnected.withLock { $0 } == 2)
        #expect(try await store.channel(id: other.id) == nil)
    }

    @Test func subscribersGetTagsAndLateOnesGetHeadersFirst() async throws {
        let channel = try await channel()
        let early = TagCollector()
        hub.subscribe(early, streamId: channel.streamId)
        let stream = try await hub.authorize(request(channel)) {}
        #expect(early.snapshot.starts == [stream.info])

        let metadata = FLVMediaTag(
            type: .scriptData,
            timestamp: 0,
            isKeyframe: false,
            isSequenceHeader: true,
            data: ByteBuffer(string: "m")
        )
        let avc = FLVMediaTag(type: .video, timestamp: 0, data: ByteBuffer(bytes: [0x17, 0x00, 0, 0, 0, 1, 2]))
        let aac = FLVMediaTag(type: .audio, timestamp: 0, data: ByteBuffer(bytes: [0xAF, 0x00, 0x12, 0x10]))
        let key = FLVMediaTag(type: .video, timestamp: 40, data: ByteBuffer(bytes: [0x17, 0x01, 0, 0, 0, 9]))
        #expect(avc.isSequenceHeader && aac.isSequenceHeader && key.isKeyframe)
        for tag in [metadata, avc, aac, key] { stream.deliver(tag) }
        #expect(early.snapshot.tags == [metadata, avc, aac, key])

        let late = TagCollector()
        hub.subscribe(late, streamId: channel.streamId)
        #expect(late.snapshot.starts == [stream.info])
        #expect(late.snapshot.tags == [metadata, avc, aac])
        hub.unsubscribe(early, streamId: channel.streamId)
        stream.deliver(key)
        #expect(early.snapshot.tags.count == 4)
        #expect(late.snapshot.tags.count == 4)

        await hub.publishEnded(stream, reason: .unpublished)
        #expect(late.snapshot.ends.map(\.1) == [.unpublished])
        #expect(early.snapshot.ends.isEmpty)

        // Subscriptions last across publishes.
        let next = try await hub.authorize(request(channel)) {}
        #expect(late.snapshot.starts.count == 2)
        await hub.publishEnded(next, reason: .connectionLost)
        #expect(late.snapshot.ends.map(\.1) == [.unpublished, .connectionLost])
    }

    @Test func restartMarksChannelsLeftLiveAsAbnormal() async throws {
        let live = try await channel(status: .live)
        let idle = try await channel()
        try await hub.recoverStatusAfterRestart()
        #expect(try await store.channel(id: live.id)?.status == .abnormal)
        #expect(try await store.channel(id: idle.id)?.status == .noInput)
    }

    @Test func shutDownDisconnectsEveryoneAndRefusesNewPublishers() async throws {
        let a = try await channel()
        let disconnected = Mutex(0)
        let stream = try await hub.authorize(request(a)) { disconnected.withLock { $0 += 1 } }
        hub.shutDown()
        #expect(disconnected.withLock { $0 } == 1)
        await hub.publishEnded(stream, reason: .stoppedByServer)
        let b = try await channel()
        #expect(await refusal(request(b)) != nil)
    }
}
