import Foundation
import LVB
import Logging
import ServiceLifecycle
import Store
import Synchronization

/// Where event bodies go: an HTTP POST to the receiver in production, a recorder in tests.
public protocol CallbackTransport: Sendable {
    /// Sends one event body (JSON) and returns the receiver's answer.
    /// - Throws: when no answer came (refused, timed out, reset).
    func post(_ body: String, eventId: String) async throws -> CallbackReply
}

/// A receiver's answer to one event.
public struct CallbackReply: Sendable, Hashable {
    public var status: Int
    public var body: String

    public init(status: Int, body: String) {
        self.status = status
        self.body = body
    }

    /// The receiver took the event: a 2xx answer whose JSON body has `"code": 0` (spec §9).
    public var isAccepted: Bool {
        guard (200..<300).contains(status), let json = try? LVBJSON(parsing: body) else { return false }
        return json["code"]?.intValue == 0
    }
}

/// Delivers the event outbox to the callback receiver (spec §9), oldest first.
///
/// Each event is sent with `t` (Unix seconds when the notification expires, now plus
/// ``Configuration/signatureLifetime``) and `sign = md5(key + t)` added to its fields, and
/// `video_url` for recording files. It leaves the outbox only when the receiver answers
/// `{"code":0}`; otherwise it is retried after a delay that doubles from
/// ``Configuration/firstRetryDelay`` up to ``Configuration/maximumRetryDelay``, for as long as
/// it takes, restarts included (the outbox is in the store). Delivery is in order: while the
/// oldest event waits for its retry, the later ones wait behind it, so a receiver sees
/// "started", "file", "stopped" in the order they happened. Delivery is at least once: an
/// answer lost in transit means the event comes again, with the same `event_id`.
public final class CallbackDispatcher: Service {
    public struct Configuration: Sendable {
        /// The callback key (`--callback-key`).
        public var key: String
        /// How long after sending a notification's `t` lies. Default 600 s (spec §9).
        public var signatureLifetime: Int64
        /// The delay after the first failure. Default 1 s.
        public var firstRetryDelay: Duration
        /// The longest delay between attempts. Default 300 s.
        public var maximumRetryDelay: Duration
        /// How often the outbox is looked at when nothing wakes the dispatcher. Default 1 s.
        public var pollInterval: Duration
        /// Events read from the store at once. Default 100.
        public var batchSize: Int

        public init(
            key: String, signatureLifetime: Int64 = 600, firstRetryDelay: Duration = .seconds(1),
            maximumRetryDelay: Duration = .seconds(300), pollInterval: Duration = .seconds(1), batchSize: Int = 100
        ) {
            self.key = key
            self.signatureLifetime = signatureLifetime
            self.firstRetryDelay = firstRetryDelay
            self.maximumRetryDelay = maximumRetryDelay
            self.pollInterval = pollInterval
            self.batchSize = batchSize
        }

        /// The delay before the next attempt after `attempts` failed ones.
        public func retryDelay(afterAttempts attempts: Int) -> Duration {
            let doublings = min(max(attempts - 1, 0), 40)
            let delay = firstRetryDelay * (1 << doublings)
            return delay < maximumRetryDelay ? delay : maximumRetryDelay
        }
    }

    /// What one pass over the outbox did.
    public struct Pass: Sendable, Hashable {
        public var delivered = 0
        public var failed = 0
    }

    public let configuration: Configuration
    private let store: any RecordingStore
    private let transport: any CallbackTransport
    private let playURL: @Sendable (String) -> String
    private let nowMilliseconds: @Sendable () -> Int64
    private let logger: Logger
    private let onAttempt: @Sendable (_ accepted: Bool) -> Void
    /// Unix milliseconds before which the oldest event is not due.
    private let pausedUntil = Mutex<Int64>(0)
    private let wakeups: AsyncStream<Void>
    private let wakeupContinuation: AsyncStream<Void>.Continuation

    /// - Parameters:
    ///   - playURL: the play URL of a vid, for `video_url`.
    ///   - nowMilliseconds: the wall clock, Unix milliseconds.
    ///   - onAttempt: told of every delivery attempt (metrics).
    public init(
        configuration: Configuration, store: any RecordingStore, transport: any CallbackTransport,
        playURL: @escaping @Sendable (String) -> String,
        nowMilliseconds: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
        onAttempt: @escaping @Sendable (Bool) -> Void = { _ in },
        logger: Logger
    ) {
        self.configuration = configuration
        self.store = store
        self.transport = transport
        self.playURL = playURL
        self.nowMilliseconds = nowMilliseconds
        self.onAttempt = onAttempt
        self.logger = logger
        (wakeups, wakeupContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for a pass now: events were queued.
    public func wake() { wakeupContinuation.yield() }

    public func run() async throws {
        let (interval, continuation) = (configuration.pollInterval, wakeupContinuation)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    do { try await Task.sleep(for: interval) } catch { return }
                    continuation.yield()
                }
            }
            continuation.yield()
            for await _ in wakeups.cancelOnGracefulShutdown() {
                while await deliverDue().delivered == configuration.batchSize {}
            }
            group.cancelAll()
        }
    }

    /// Sends the due events, oldest first, stopping at the first failure or the first event
    /// not yet due.
    @discardableResult
    public func deliverDue() async -> Pass {
        var pass = Pass()
        let now = nowMilliseconds()
        guard now >= pausedUntil.withLock({ $0 }) else { return pass }
        let events: [OutboxEvent]
        do {
            events = try await store.queuedEvents(limit: configuration.batchSize)
        } catch {
            logger.error("could not read the event outbox", metadata: ["error": "\(error)"])
            return pass
        }
        for event in events {
            guard event.nextAttemptAt <= now else {
                pausedUntil.withLock { $0 = event.nextAttemptAt }
                return pass
            }
            var metadata: Logger.Metadata = ["event.id": "\(event.eventId)", "event.type": "\(event.type)"]
            do {
                let reply = try await transport.post(try body(of: event, now: now), eventId: event.eventId)
                guard reply.isAccepted else {
                    throw CallbackFailure("the receiver answered \(reply.status) \(reply.body.prefix(200))")
                }
                onAttempt(true)
                try await store.deleteEvent(sequence: event.sequence)
                pass.delivered += 1
                logger.debug("event delivered", metadata: metadata)
            } catch {
                onAttempt(false)
                pass.failed += 1
                let attempts = event.attempts + 1
                let next = now + configuration.retryDelay(afterAttempts: attempts).milliseconds
                pausedUntil.withLock { $0 = next }
                metadata["event.attempts"] = "\(attempts)"
                metadata["error"] = "\(error)"
                logger.warning("event delivery failed; will retry", metadata: metadata)
                do {
                    try await store.rescheduleEvent(
                        sequence: event.sequence, attempts: attempts, nextAttemptAt: next, lastError: "\(error)"
                    )
                } catch {
                    logger.error("could not reschedule an event", metadata: ["error": "\(error)"])
                }
                return pass
            }
        }
        return pass
    }

    /// The JSON body of an event sent at `now`: `t` and `sign` first, then its fields, and
    /// `video_url` for a recording file.
    func body(of event: OutboxEvent, now: Int64) throws -> String {
        guard case .object(let fields) = try LVBJSON(parsing: event.payload) else {
            throw CallbackFailure("event \(event.eventId) has no JSON object payload")
        }
        let t = now / 1000 + configuration.signatureLifetime
        var members: [(String, LVBJSON)] = [
            ("t", .int(t)), ("sign", .string(LVBCallbackSignature.sign(key: configuration.key, t: t))),
        ]
        members += fields
        if event.type == CallbackEvents.EventType.recordingFile.rawValue, let vid = event.payloadVid(fields) {
            members.append(("video_url", .string(playURL(vid))))
        }
        return LVBJSON.object(members).encoded
    }
}

/// Why a delivery failed.
struct CallbackFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension OutboxEvent {
    fileprivate func payloadVid(_ fields: [(String, LVBJSON)]) -> String? {
        fields.first { $0.0 == "video_id" }?.1.stringValue
    }
}

extension Duration {
    fileprivate var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
