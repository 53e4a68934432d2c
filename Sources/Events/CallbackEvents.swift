import Foundation
import LVB
import Store

/// The recording events of spec §9, as outbox entries: what a callback receiver of the
/// original service parses.
///
/// - `event_type` 1 (stream started) and 0 (stream stopped): `channel_id`, `stream_id`,
///   `app`, `appname`, `event_time`, `user_ip`, `errcode`, `errmsg`, `stream_param`, and for 0
///   `push_duration` (milliseconds).
/// - `event_type` 100 (new recording file): `video_id`, `file_id`, `file_size`, `start_time`,
///   `end_time`, `duration` (seconds), `file_format` (`flv`), `channel_id`, `stream_id`,
///   `task_id`, `stream_param`, `vod2Flag`, `event_time`; `video_url` is added when sent,
///   so a signed play URL is fresh on every attempt.
///
/// Every event carries `event_id`, a UUID kept in the outbox, so receivers can drop
/// repeated deliveries; `t` and `sign` are added when sent (``CallbackDispatcher``).
public struct CallbackEvents: Sendable {
    public enum EventType: Int, Sendable {
        case streamStopped = 0
        case streamStarted = 1
        case recordingFile = 100
    }

    /// The push host in `app`.
    public var pushHost: String
    /// The wall clock, Unix milliseconds.
    public var nowMilliseconds: @Sendable () -> Int64

    public init(
        pushHost: String,
        nowMilliseconds: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    ) {
        self.pushHost = pushHost
        self.nowMilliseconds = nowMilliseconds
    }

    /// An announcer that queues these events and calls `queued` after each batch.
    public func announcer(queued: @escaping @Sendable () -> Void) -> EventAnnouncer {
        EventAnnouncer(
            publishStarted: { [self] publish in [streamStarted(publish)] },
            publishEnded: { [self] publish in [streamStopped(publish)] },
            fragmentRecorded: { [self] fragment, streamId in [recordingFile(fragment, streamId: streamId)] },
            queued: queued
        )
    }

    public func streamStarted(_ publish: PublishAnnouncement) -> OutboxEvent {
        event(.streamStarted, publishFields(publish))
    }

    public func streamStopped(_ publish: PublishAnnouncement) -> OutboxEvent {
        event(.streamStopped, publishFields(publish) + [("push_duration", .int(publish.durationMilliseconds))])
    }

    public func recordingFile(_ fragment: RecordFragment, streamId: String) -> OutboxEvent {
        event(
            .recordingFile,
            [
                ("channel_id", .string(fragment.channelId)),
                ("stream_id", .string(streamId)),
                ("task_id", .string(String(fragment.taskId))),
                ("video_id", .string(fragment.vid)),
                ("file_id", .string(fragment.fileId)),
                ("file_size", .int(fragment.size)),
                ("file_format", .string("flv")),
                ("start_time", .int(fragment.startTime / 1000)),
                ("end_time", .int((fragment.endTime + 999) / 1000)),
                ("duration", .double(Double(fragment.duration) / 1000)),
                ("stream_param", .string("")),
                ("vod2Flag", .int(0)),
            ]
        )
    }

    private func publishFields(_ publish: PublishAnnouncement) -> [(String, LVBJSON)] {
        [
            ("channel_id", .string(publish.channelId)),
            ("stream_id", .string(publish.streamId)),
            ("app", .string(pushHost)),
            ("appname", .string("live")),
            ("user_ip", .string(publish.clientAddress ?? "")),
            ("errcode", .int(publish.failure == nil ? 0 : 1)),
            ("errmsg", .string(publish.failure ?? "")),
            ("stream_param", .string("")),
        ]
    }

    private func event(_ type: EventType, _ fields: [(String, LVBJSON)]) -> OutboxEvent {
        let now = nowMilliseconds()
        let id = UUID().uuidString.lowercased()
        let payload: LVBJSON = .object(
            [("event_type", .int(Int64(type.rawValue))), ("event_id", .string(id)), ("event_time", .int(now / 1000))]
                + fields
        )
        return OutboxEvent(eventId: id, type: type.rawValue, payload: payload.encoded, createdAt: now)
    }
}
