import FLV

/// Receives what a channel's publisher sends: the recorder of a task, or a test.
///
/// Calls arrive in order from the publishing connection's task, while the stream's lock is
/// held: implementations return at once (queue the tag, never wait) and never call back into
/// the hub from inside a call.
public protocol MediaSubscriber: AnyObject, Sendable {
    /// A publisher went live on the stream (also called on subscribing to a live stream).
    func publishStarted(_ stream: LiveStreamInfo)
    /// One audio, video or script tag, with its 64-bit timeline timestamp. On subscribing to a
    /// live stream, the latest metadata and sequence headers come first.
    func received(_ tag: FLVMediaTag)
    /// The publisher is gone; `reason` says how.
    func publishEnded(_ stream: LiveStreamInfo, reason: PublishEndReason)
    /// Whether more is queued than the subscriber wants: read under the stream's lock after
    /// each tag, without waiting. Default `false`.
    var wantsPublisherToWait: Bool { get }
    /// Returns once the subscriber has taken what is queued (or stopped taking): the
    /// publishing connection awaits it, outside the lock, before reading on, so a publisher
    /// faster than the subscriber is slowed by TCP instead of growing the queue. Returns at
    /// once by default and when the waiting task is cancelled.
    func waitForCapacity() async
}

extension MediaSubscriber {
    public var wantsPublisherToWait: Bool { false }
    public func waitForCapacity() async {}
}

/// Which publish a subscriber event belongs to.
public struct LiveStreamInfo: Sendable, Hashable {
    public var channelId: String
    public var streamId: String
    /// Counts publishes on this server, so two publishes of one stream are told apart.
    public var publishId: UInt64
    /// The publisher's IP address, when known.
    public var clientAddress: String?
    /// When the publish was granted.
    public var started: ContinuousClock.Instant

    public init(
        channelId: String, streamId: String, publishId: UInt64, clientAddress: String? = nil,
        started: ContinuousClock.Instant = .now
    ) {
        self.channelId = channelId
        self.streamId = streamId
        self.publishId = publishId
        self.clientAddress = clientAddress
        self.started = started
    }
}

/// How a publish ended.
public enum PublishEndReason: Sendable, Hashable {
    /// The publisher unpublished (FCUnpublish, deleteStream, closeStream).
    case unpublished
    /// The connection closed or failed without unpublishing.
    case connectionLost
    /// Nothing arrived for the idle timeout.
    case idleTimeout
    /// StopLVBChannel or DeleteLVBChannel ended it, or the server is shutting down.
    case stoppedByServer

    /// Whether channel status becomes 2 (abnormal) rather than 0.
    public var isAbnormal: Bool {
        switch self {
        case .unpublished, .stoppedByServer: false
        case .connectionLost, .idleTimeout: true
        }
    }
}
