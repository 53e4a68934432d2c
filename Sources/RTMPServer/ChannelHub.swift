import FLV
import LVB
import Logging
import NIOCore
import RTMPCore
import Store
import Synchronization
import Telemetry

/// Knows which channel is live: authorises publishes (stream name, push auth, channel state,
/// one publisher per channel), keeps channel status in the store, disconnects publishers when
/// a channel is stopped or deleted, and hands every tag to the channel's subscribers.
public final class ChannelHub: LivePublisherControl, Sendable {
    /// The application name in push addresses (`rtmp://host/live/<streamId>`).
    public static let application = "live"

    /// A publish that was refused, with the `onStatus` code to answer.
    public struct Refusal: Error, Hashable, Sendable {
        public var code: RTMPStatusCode
        public var description: String
    }

    private struct State {
        var live: [String: LiveStream] = [:]
        var subscribers: [String: [ObjectIdentifier: any MediaSubscriber]] = [:]
        var nextPublishId: UInt64 = 1
        var isShutDown = false
    }

    private let store: any RecordingStore
    private let pushKey: String
    private let now: @Sendable () -> Int64
    private let logger: Logger
    private let announcer: EventAnnouncer
    private let metrics: ReelMetrics
    private let state = Mutex(State())

    /// - Parameters:
    ///   - pushKey: the key of push-auth queries (spec §8).
    ///   - now: the server's clock, Unix seconds.
    ///   - announcer: the events of publishes starting and ending, queued with the status change.
    ///   - metrics: keeps `reel_publishers_live`.
    public init(
        store: any RecordingStore, pushKey: String, now: @escaping @Sendable () -> Int64,
        announcer: EventAnnouncer = .none, logger: Logger, metrics: ReelMetrics = .noop
    ) {
        self.store = store
        self.pushKey = pushKey
        self.now = now
        self.announcer = announcer
        self.logger = logger
        self.metrics = metrics
    }

    /// Marks channels left live by a previous run (which ended without closing them) as abnormal.
    public func recoverStatusAfterRestart() async throws {
        var page = 1
        var stale: [String] = []
        while true {
            let result = try await store.channels(ChannelQuery(status: .live, pageNo: page, pageSize: 100))
            stale += result.channels.map(\.id)
            guard result.channels.count == 100 else { break }
            page += 1
        }
        for id in stale { _ = try await store.updateChannelStatus(id: id, from: .live, to: .abnormal) }
        if !stale.isEmpty {
            logger.notice(
                "channels left live by the previous run marked abnormal",
                metadata: ["count": "\(stale.count)"]
            )
        }
    }

    /// Decides a publish request.
    /// - Parameters:
    ///   - request: the publisher's request (app, stream name, query).
    ///   - clientAddress: the publisher's IP address, for the stream-started event.
    ///   - disconnect: closes the publisher's connection; called by ``disconnectPublishers(streamIds:)``.
    /// - Returns: the live stream to deliver tags to.
    /// - Throws: ``Refusal``.
    public func authorize(
        _ request: RTMPPublishRequest,
        clientAddress: String? = nil,
        disconnect: @escaping @Sendable () -> Void
    ) async throws(Refusal) -> LiveStream {
        guard request.app == Self.application else {
            throw Refusal(
                code: .publishBadName,
                description: "unknown application '\(request.app)': publish to /\(Self.application)/<streamId>"
            )
        }
        let channel: LiveChannel?
        do {
            channel = try await store.channel(streamId: request.streamName)
        } catch {
            logger.error("store failed while authorising a publish", metadata: ["error": "\(error)"])
            throw Refusal(code: .publishBadConnection, description: "the server could not check the stream; try again")
        }
        guard let channel else {
            throw Refusal(code: .publishBadName, description: "no channel has stream '\(request.streamName)'")
        }
        guard channel.status != .closed else {
            throw Refusal(code: .publishRejected, description: "channel \(channel.id) is stopped (StopLVBChannel)")
        }
        let auth = LVBParameters.queryValues(request.query ?? request.appQuery ?? "")
        do throws(LVBPushAuth.Failure) {
            try LVBPushAuth.verify(
                key: pushKey,
                streamId: channel.streamId,
                txSecret: auth["txSecret"],
                txTime: auth["txTime"],
                now: now()
            )
        } catch {
            let reason =
                switch error {
                case .missing: "txSecret and txTime are missing"
                case .malformed: "txTime is not hexadecimal Unix seconds"
                case .expired: "the push address has expired (txTime)"
                case .wrongSecret: "txSecret does not match"
                }
            throw Refusal(code: .publishRejected, description: "push authorisation failed: \(reason)")
        }
        // Claim the stream before the store write, so a concurrent second publisher is refused.
        let claimed: LiveStream? = state.withLock { state in
            guard !state.isShutDown, state.live[channel.streamId] == nil else { return nil }
            let stream = LiveStream(
                info: LiveStreamInfo(
                    channelId: channel.id, streamId: channel.streamId, publishId: state.nextPublishId,
                    clientAddress: clientAddress
                ),
                disconnect: disconnect
            )
            state.nextPublishId += 1
            state.live[channel.streamId] = stream
            return stream
        }
        guard let stream = claimed else {
            throw Refusal(code: .publishBadName, description: "stream '\(channel.streamId)' is already being published")
        }
        let previous = channel.status
        let events = announcer.publishStarted(
            PublishAnnouncement(channelId: channel.id, streamId: channel.streamId, clientAddress: clientAddress)
        )
        let marked =
            (try? await store.updateChannelStatus(id: channel.id, from: previous, to: .live, events: events)) ?? false
        guard marked else {
            state.withLock { _ = $0.live.removeValue(forKey: channel.streamId) }
            throw Refusal(
                code: .publishRejected,
                description: "channel \(channel.id) changed while the publish was authorised"
            )
        }
        if !events.isEmpty { announcer.queued() }
        let subscribers = state.withLock { $0.subscribers[channel.streamId].map { Array($0.values) } ?? [] }
        stream.start(subscribers: subscribers)
        metrics.publishersLive.increment()
        logger.info(
            "publish started",
            metadata: ["channel": "\(channel.id)", "publish.id": "\(stream.info.publishId)"]
        )
        return stream
    }

    /// Ends a publish that ``authorize(_:disconnect:)`` granted; sets status 0 (or 2 when
    /// abnormal) unless the channel was stopped or deleted meanwhile.
    public func publishEnded(_ stream: LiveStream, reason: PublishEndReason) async {
        let removed = state.withLock { state in
            guard state.live[stream.info.streamId] === stream else { return false }
            state.live[stream.info.streamId] = nil
            return true
        }
        guard removed else { return }
        metrics.publishersLive.decrement()
        stream.end(reason: reason)
        let info = stream.info
        let events = announcer.publishEnded(
            PublishAnnouncement(
                channelId: info.channelId, streamId: info.streamId, clientAddress: info.clientAddress,
                durationMilliseconds: (ContinuousClock.now - info.started).milliseconds,
                failure: reason.isAbnormal ? "\(reason)" : nil
            )
        )
        do {
            let changed = try await store.updateChannelStatus(
                id: info.channelId, from: .live, to: reason.isAbnormal ? .abnormal : .noInput, events: events
            )
            // Stopped or deleted meanwhile: the status stays, the stream still ended.
            if !changed && !events.isEmpty { try await store.enqueueEvents(events) }
            if !events.isEmpty { announcer.queued() }
        } catch {
            logger.error(
                "store failed while ending a publish",
                metadata: ["channel": "\(stream.info.channelId)", "error": "\(error)"]
            )
        }
        logger.info(
            "publish ended",
            metadata: [
                "channel": "\(stream.info.channelId)", "publish.id": "\(stream.info.publishId)",
                "reason": "\(reason)",
            ]
        )
    }

    public func disconnectPublishers(streamIds: [String]) async {
        let streams = state.withLock { state in streamIds.compactMap { state.live[$0] } }
        for stream in streams { stream.disconnect() }
    }

    /// Disconnects every publisher and refuses new ones (server shutdown).
    public func shutDown() {
        let streams = state.withLock { state in
            state.isShutDown = true
            return Array(state.live.values)
        }
        for stream in streams { stream.disconnect() }
    }

    /// Whether `streamId` has a live publisher now.
    public func isLive(streamId: String) -> Bool {
        state.withLock { $0.live[streamId] != nil }
    }

    /// Adds a subscriber to a stream, for this and every later publish, until unsubscribed.
    /// When the stream is live, the subscriber is told at once, with the latest metadata and
    /// sequence headers.
    public func subscribe(_ subscriber: any MediaSubscriber, streamId: String) {
        let live: LiveStream? = state.withLock { state in
            state.subscribers[streamId, default: [:]][ObjectIdentifier(subscriber)] = subscriber
            return state.live[streamId]
        }
        live?.add(subscriber)
    }

    /// Removes a subscriber from a stream.
    public func unsubscribe(_ subscriber: any MediaSubscriber, streamId: String) {
        let live: LiveStream? = state.withLock { state in
            state.subscribers[streamId]?[ObjectIdentifier(subscriber)] = nil
            if state.subscribers[streamId]?.isEmpty == true { state.subscribers[streamId] = nil }
            return state.live[streamId]
        }
        live?.remove(subscriber)
    }
}

/// One live publish: its subscribers, and the latest metadata and sequence headers for
/// subscribers that join mid-stream.
public final class LiveStream: Sendable {
    public let info: LiveStreamInfo
    fileprivate let disconnect: @Sendable () -> Void

    private struct State {
        var subscribers: [ObjectIdentifier: any MediaSubscriber] = [:]
        var metadata: FLVMediaTag?
        var videoSequenceHeader: FLVMediaTag?
        var audioSequenceHeader: FLVMediaTag?
        var ended = false
    }

    private let state = Mutex(State())

    fileprivate init(info: LiveStreamInfo, disconnect: @escaping @Sendable () -> Void) {
        self.info = info
        self.disconnect = disconnect
    }

    fileprivate func start(subscribers: [any MediaSubscriber]) {
        state.withLock { state in
            for subscriber in subscribers {
                state.subscribers[ObjectIdentifier(subscriber)] = subscriber
                subscriber.publishStarted(info)
            }
        }
    }

    fileprivate func add(_ subscriber: any MediaSubscriber) {
        state.withLock { state in
            guard !state.ended, state.subscribers.updateValue(subscriber, forKey: ObjectIdentifier(subscriber)) == nil
            else {
                return
            }
            subscriber.publishStarted(info)
            for tag in [state.metadata, state.videoSequenceHeader, state.audioSequenceHeader] {
                if let tag { subscriber.received(tag) }
            }
        }
    }

    fileprivate func remove(_ subscriber: any MediaSubscriber) {
        state.withLock { _ = $0.subscribers.removeValue(forKey: ObjectIdentifier(subscriber)) }
    }

    fileprivate func end(reason: PublishEndReason) {
        state.withLock { state in
            state.ended = true
            for subscriber in state.subscribers.values { subscriber.publishEnded(info, reason: reason) }
            state.subscribers = [:]
        }
    }

    /// Hands a tag to every subscriber, remembering metadata and sequence headers.
    /// - Returns: Whether a subscriber wants the publisher to wait (``waitForSubscribers()``).
    @discardableResult
    public func deliver(_ tag: FLVMediaTag) -> Bool {
        state.withLock { state in
            if tag.isSequenceHeader {
                switch tag.type {
                case .scriptData: state.metadata = tag
                case .video: state.videoSequenceHeader = tag
                case .audio: state.audioSequenceHeader = tag
                }
            }
            var wait = false
            for subscriber in state.subscribers.values {
                subscriber.received(tag)
                if subscriber.wantsPublisherToWait { wait = true }
            }
            return wait
        }
    }

    /// Waits until every subscriber that wants the publisher to wait has caught up.
    public func waitForSubscribers() async {
        let waiting = state.withLock { state in state.subscribers.values.filter(\.wantsPublisherToWait) }
        for subscriber in waiting { await subscriber.waitForCapacity() }
    }
}
