/// An event waiting in the outbox for delivery to the callback receiver (spec §9).
public struct OutboxEvent: Sendable, Hashable {
    /// The outbox's order, assigned when queued (0 before).
    public var sequence: Int64
    /// The stable id receivers de-duplicate by: the same on every attempt and across restarts.
    public var eventId: String
    /// The event's `event_type` (0, 1, 100).
    public var type: Int
    /// The event's fields as a JSON object, without the signature fields added when sent.
    public var payload: String
    /// When it was queued, Unix milliseconds.
    public var createdAt: Int64
    /// Failed deliveries so far.
    public var attempts: Int
    /// When to try (again), Unix milliseconds.
    public var nextAttemptAt: Int64
    /// Why the last attempt failed.
    public var lastError: String?

    public init(
        sequence: Int64 = 0, eventId: String, type: Int, payload: String, createdAt: Int64, attempts: Int = 0,
        nextAttemptAt: Int64? = nil, lastError: String? = nil
    ) {
        self.sequence = sequence
        self.eventId = eventId
        self.type = type
        self.payload = payload
        self.createdAt = createdAt
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt ?? createdAt
        self.lastError = lastError
    }
}

/// Turns what happened into outbox events, and hears when events were queued: how the
/// channel hub and the recorder announce publishes and fragments without knowing the callback
/// format. ``none`` queues nothing (no callback receiver configured).
public struct EventAnnouncer: Sendable {
    /// A publisher started pushing to a channel.
    public var publishStarted: @Sendable (_ publish: PublishAnnouncement) -> [OutboxEvent]
    /// A publish ended.
    public var publishEnded: @Sendable (_ publish: PublishAnnouncement) -> [OutboxEvent]
    /// A fragment was registered; `streamId` is its channel's stream.
    public var fragmentRecorded: @Sendable (_ fragment: RecordFragment, _ streamId: String) -> [OutboxEvent]
    /// Events were queued (wakes the sender).
    public var queued: @Sendable () -> Void

    public init(
        publishStarted: @escaping @Sendable (PublishAnnouncement) -> [OutboxEvent],
        publishEnded: @escaping @Sendable (PublishAnnouncement) -> [OutboxEvent],
        fragmentRecorded: @escaping @Sendable (RecordFragment, String) -> [OutboxEvent],
        queued: @escaping @Sendable () -> Void
    ) {
        self.publishStarted = publishStarted
        self.publishEnded = publishEnded
        self.fragmentRecorded = fragmentRecorded
        self.queued = queued
    }

    /// Announces nothing.
    public static let none = EventAnnouncer(
        publishStarted: { _ in [] }, publishEnded: { _ in [] }, fragmentRecorded: { _, _ in [] }, queued: {}
    )
}

/// A publish, as events describe it.
public struct PublishAnnouncement: Sendable, Hashable {
    public var channelId: String
    public var streamId: String
    /// The publisher's IP address, when known.
    public var clientAddress: String?
    /// How long the publish lasted (for its end), milliseconds.
    public var durationMilliseconds: Int64
    /// Why it ended abnormally (connection lost, idle timeout); `nil` while it runs or after a
    /// normal end.
    public var failure: String?

    public init(
        channelId: String, streamId: String, clientAddress: String? = nil, durationMilliseconds: Int64 = 0,
        failure: String? = nil
    ) {
        self.channelId = channelId
        self.streamId = streamId
        self.clientAddress = clientAddress
        self.durationMilliseconds = durationMilliseconds
        self.failure = failure
    }
}
