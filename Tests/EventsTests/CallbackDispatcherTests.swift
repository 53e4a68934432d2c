import Foundation
import LVB
import Logging
import Store
import Synchronization
import Testing

@testable import Events

/// A receiver that records every body and answers from a script: up or down.
final class ScriptedReceiver: CallbackTransport {
    struct Delivery: Sendable {
        var body: LVBJSON
        var eventId: String
    }

    private let state = Mutex<(up: Bool, answer: String, deliveries: [Delivery], attempts: Int)>((true, "{\"code\":0}", [], 0))

    func setUp(_ up: Bool, answer: String = "{\"code\":0}") { state.withLock { $0.up = up; $0.answer = answer } }
    var deliveries: [Delivery] { state.withLock { $0.deliveries } }
    var attempts: Int { state.withLock { $0.attempts } }

    func post(_ body: String, eventId: String) async throws -> CallbackReply {
        let (up, answer) = state.withLock { state in
            state.attempts += 1
            return (state.up, state.answer)
        }
        guard up else { throw CallbackFailure("connection refused") }
        let json = try LVBJSON(parsing: body)
        state.withLock { $0.deliveries.append(Delivery(body: json, eventId: eventId)) }
        return CallbackReply(status: 200, body: answer)
    }
}

/// A wall clock the test moves, Unix milliseconds.
final class TestClock: Sendable {
    private let value = Mutex<Int64>(1_764_000_000_000)
    var now: Int64 { value.withLock { $0 } }
    func advance(_ milliseconds: Int64) { value.withLock { $0 += milliseconds } }
}

@Suite struct CallbackDispatcherTests {
    static let key = "5d41402abc4b2a76b9719d911017c592"
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    static func fragment(_ n: Int) -> RecordFragment {
        RecordFragment(
            fileId: "1234567890123456789\(n)", vid: "1000_\(String(repeating: "a", count: 31))\(n)", taskId: 7, channelId: "42",
            startTime: 1_764_000_000_250, endTime: 1_764_000_010_250, duration: 10_000, size: 123_456, path: "library/x.flv"
        )
    }

    static func setUp() -> (InMemoryRecordingStore, ScriptedReceiver, TestClock, CallbackDispatcher, CallbackEvents) {
        let store = InMemoryRecordingStore()
        let receiver = ScriptedReceiver()
        let clock = TestClock()
        let dispatcher = CallbackDispatcher(
            configuration: .init(key: key), store: store, transport: receiver,
            playURL: { "http://vod.example/\($0).f0.flv" }, nowMilliseconds: { clock.now }, logger: logger
        )
        return (store, receiver, clock, dispatcher, CallbackEvents(pushHost: "push.example", nowMilliseconds: { clock.now }))
    }

    @Test("a recording-file event carries the spec's fields, a valid sign and the play URL")
    func recordingFileBody() async throws {
        let (store, receiver, clock, dispatcher, events) = Self.setUp()
        try await store.enqueueEvents([events.recordingFile(Self.fragment(1), streamId: "1000_stream")])
        #expect(await dispatcher.deliverDue() == .init(delivered: 1, failed: 0))
        let body = try #require(receiver.deliveries.first?.body)
        let t = try #require(body["t"]?.intValue)
        #expect(t == clock.now / 1000 + 600)
        #expect(body["sign"]?.stringValue == LVBCallbackSignature.sign(key: Self.key, t: t))
        #expect(LVBCallbackSignature.isValid(sign: body["sign"]!.stringValue!, key: Self.key, t: t, now: clock.now / 1000))
        #expect(body["event_type"]?.intValue == 100)
        #expect(body["event_id"]?.stringValue == receiver.deliveries[0].eventId)
        #expect(body["video_id"]?.stringValue == Self.fragment(1).vid)
        #expect(body["video_url"]?.stringValue == "http://vod.example/\(Self.fragment(1).vid).f0.flv")
        #expect(body["file_id"]?.stringValue == "12345678901234567891")
        #expect(body["file_size"]?.intValue == 123_456)
        #expect(body["file_format"]?.stringValue == "flv")
        #expect(body["start_time"]?.intValue == 1_764_000_000 && body["end_time"]?.intValue == 1_764_000_011)
        #expect(body["duration"] == .double(10) || body["duration"] == .int(10))
        #expect(body["channel_id"]?.stringValue == "42" && body["stream_id"]?.stringValue == "1000_stream")
        #expect(body["task_id"]?.stringValue == "7")
        #expect(try await store.queuedEventCount() == 0)
    }

    @Test("stream started and stopped events")
    func publishBodies() async throws {
        let (store, receiver, _, dispatcher, events) = Self.setUp()
        let publish = PublishAnnouncement(channelId: "42", streamId: "1000_s", clientAddress: "10.0.0.9")
        var ended = publish
        ended.durationMilliseconds = 65_000
        ended.failure = "connectionLost"
        try await store.enqueueEvents([events.streamStarted(publish), events.streamStopped(ended)])
        await dispatcher.deliverDue()
        let bodies = receiver.deliveries.map(\.body)
        #expect(bodies.map { $0["event_type"]?.intValue } == [1, 0])
        #expect(bodies.allSatisfy { $0["channel_id"]?.stringValue == "42" && $0["stream_id"]?.stringValue == "1000_s" })
        #expect(bodies.allSatisfy { $0["user_ip"]?.stringValue == "10.0.0.9" && $0["app"]?.stringValue == "push.example" })
        #expect(bodies[0]["errcode"]?.intValue == 0 && bodies[0]["push_duration"] == nil)
        #expect(bodies[1]["push_duration"]?.intValue == 65_000)
        #expect(bodies[1]["errcode"]?.intValue == 1 && bodies[1]["errmsg"]?.stringValue == "connectionLost")
        #expect(Set(bodies.compactMap { $0["event_id"]?.stringValue }).count == 2)
    }

    @Test("while the receiver is down events wait in order, backing off; then all arrive once, in order")
    func receiverDownThenUp() async throws {
        let (store, receiver, clock, dispatcher, events) = Self.setUp()
        receiver.setUp(false)
        try await store.enqueueEvents((1...3).map { events.recordingFile(Self.fragment($0), streamId: "s") })
        let ids = await store.queuedEvents(limit: 10).map(\.eventId)

        // Down: each pass tries the oldest only, and waits 1, 2, 4, 8 s between attempts.
        var gaps: [Int64] = []
        for _ in 0..<4 {
            #expect(await dispatcher.deliverDue() == .init(delivered: 0, failed: 1))
            let oldest = try #require(try await store.queuedEvents(limit: 1).first)
            #expect(oldest.eventId == ids[0])
            gaps.append(oldest.nextAttemptAt - clock.now)
            // Not due yet: nothing is tried.
            clock.advance(oldest.nextAttemptAt - clock.now - 1)
            #expect(await dispatcher.deliverDue() == .init())
            clock.advance(1)
        }
        #expect(gaps == [1_000, 2_000, 4_000, 8_000])
        #expect(receiver.attempts == 4)
        #expect(try await store.queuedEvents(limit: 10).first?.attempts == 4)

        // Up again: everything arrives, oldest first, each once.
        receiver.setUp(true)
        #expect(await dispatcher.deliverDue() == .init(delivered: 3, failed: 0))
        #expect(receiver.deliveries.map(\.eventId) == ids)
        #expect(await dispatcher.deliverDue() == .init())
        #expect(receiver.deliveries.count == 3)
    }

    @Test("an answer other than {\"code\":0} is a failure, and the event comes again with the same id")
    func nonZeroCodeIsRetried() async throws {
        let (store, receiver, clock, dispatcher, events) = Self.setUp()
        receiver.setUp(true, answer: "{\"code\":1,\"message\":\"busy\"}")
        try await store.enqueueEvents([events.recordingFile(Self.fragment(1), streamId: "s")])
        #expect(await dispatcher.deliverDue().failed == 1)
        for answer in ["not json", "{}", "{\"code\":\"0\"}"] {
            receiver.setUp(true, answer: answer)
            clock.advance(600_000)
            #expect(await dispatcher.deliverDue().failed == 1, "\(answer)")
        }
        receiver.setUp(true)
        clock.advance(600_000)
        #expect(await dispatcher.deliverDue().delivered == 1)
        #expect(Set(receiver.deliveries.map(\.eventId)).count == 1 && receiver.deliveries.count == 5)
        // Each attempt is signed afresh.
        #expect(Set(receiver.deliveries.compactMap { $0.body["t"]?.intValue }).count == 5)
    }

    @Test("the outbox outlives the dispatcher: a new one on the same store delivers what is left")
    func survivesARestart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reel-events-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("reel.sqlite").path
        let clock = TestClock()
        let events = CallbackEvents(pushHost: "h", nowMilliseconds: { clock.now })
        let receiver = ScriptedReceiver()
        receiver.setUp(false)
        do {
            let store = try SQLiteRecordingStore(path: path)
            try await store.insertFragment(Self.fragment(1), events: [events.recordingFile(Self.fragment(1), streamId: "s")])
            let first = CallbackDispatcher(
                configuration: .init(key: Self.key), store: store, transport: receiver, playURL: { $0 },
                nowMilliseconds: { clock.now }, logger: Self.logger
            )
            #expect(await first.deliverDue().failed == 1)
        }
        receiver.setUp(true)
        let reopened = try SQLiteRecordingStore(path: path)
        let second = CallbackDispatcher(
            configuration: .init(key: Self.key), store: reopened, transport: receiver, playURL: { $0 },
            nowMilliseconds: { clock.now }, logger: Self.logger
        )
        clock.advance(1_000)
        #expect(await second.deliverDue().delivered == 1)
        #expect(receiver.deliveries.first?.body["video_id"]?.stringValue == Self.fragment(1).vid)
    }

    @Test("retry delays double from the first up to the maximum")
    func retryDelays() {
        let configuration = CallbackDispatcher.Configuration(key: "k")
        #expect((1...12).map { configuration.retryDelay(afterAttempts: $0) } == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300].map { Duration.seconds($0) })
        #expect(configuration.retryDelay(afterAttempts: 10_000) == .seconds(300))
    }

    @Test("replies: accepted only for 2xx with code 0")
    func replies() {
        #expect(CallbackReply(status: 200, body: "{\"code\":0}").isAccepted)
        #expect(CallbackReply(status: 200, body: " { \"code\" : 0 , \"x\":1}").isAccepted)
        #expect(!CallbackReply(status: 500, body: "{\"code\":0}").isAccepted)
        #expect(!CallbackReply(status: 200, body: "{\"code\":4000}").isAccepted)
        #expect(!CallbackReply(status: 200, body: "").isAccepted)
    }
}
