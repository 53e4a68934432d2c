import Foundation
import Hummingbird
import LVB
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing

/// A callback receiver on loopback: records every event it is sent and answers `{"code":0}`.
/// It can be stopped and started again on the same port.
final class CallbackReceiver: Sendable {
    struct Event: Sendable {
        var json: LVBJSON
        var receivedAt: Int64
    }

    private let received = Mutex<[Event]>([])
    private let port = Mutex<Int>(0)
    private let group = Mutex<ServiceGroup?>(nil)

    var events: [Event] { received.withLock { $0 } }
    var url: String { "http://127.0.0.1:\(port.withLock { $0 })/lvb-events" }

    /// Runs the receiver in `tasks` until ``stop()``; on its previous port when it had one.
    func start(in tasks: inout ThrowingTaskGroup<Void, any Error>) async throws {
        let router = Router()
        router.post("/lvb-events") { [self] request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let json = try LVBJSON(parsing: String(buffer: body))
            self.received.withLock { $0.append(Event(json: json, receivedAt: Int64(Date().timeIntervalSince1970))) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{\"code\":0}")))
        }
        let logger = Logger(label: "receiver") { _ in SwiftLogNoOpLogHandler() }
        let listening = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port.withLock { $0 })),
            onServerRunning: { channel in listening.continuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        let group = ServiceGroup(services: [app], logger: logger)
        self.group.withLock { $0 = group }
        tasks.addTask { try await group.run() }
        for await bound in listening.stream {
            port.withLock { $0 = bound }
            break
        }
    }

    func stop() async {
        await group.withLock { $0 }?.triggerGracefulShutdown()
    }
}

/// Recording events end to end (issue 5, item 3): the real binary POSTs events 1, 100 and 0
/// to a receiver; while the receiver is down they wait in the outbox, also across a restart
/// of Reel, and arrive once it is back.
@Suite struct EventCallbackTests {
    static let key = "5d41402abc4b2a76b9719d911017c592"

    static func waitFor(_ what: String, seconds: Double = 90, _ condition: () throws -> Bool) async throws {
        try await RecordingTests.waitFor(what, within: .seconds(seconds), condition)
    }

    /// The value of an unlabelled metric in a Prometheus scrape.
    static func value(_ name: String, in scrape: String) -> Double? {
        scrape.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
    }

    @Test func eventsArriveSignedAndSurviveAReceiverOutageAndARestart() async throws {
        let folder = try temporaryFolder("events")
        let receiver = CallbackReceiver()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            try await receiver.start(in: &tasks)
            let arguments = ["--callback-url", receiver.url, "--callback-key", Self.key]

            // A 14 s push with 10 s fragments: started, two files, stopped.
            var server = try await RecordingTests.Server.start(folder, arguments: arguments)
            let (channel, task, upstream) = try await server.channelRecordingNow()
            let long = try RecordingTests.makeSource(seconds: 14, in: folder)
            try await RecordingTests.waitForExit(try RecordingTests.startPush(long, to: upstream), within: .seconds(60))
            try await RecordingTests.waitFor("two fragments") { try server.fragments(channel, task).count == 2 }
            try await Self.waitFor("four events") { receiver.events.count >= 4 }
            try await Task.sleep(for: .seconds(1))
            var events = receiver.events.map(\.json)
            #expect(events.count == 4)
            #expect(events.first?["event_type"]?.intValue == 1)
            #expect(events.map { $0["event_type"]?.intValue ?? -1 }.sorted() == [0, 1, 100, 100])
            let fragments = try server.fragments(channel, task)
            let files = events.filter { $0["event_type"]?.intValue == 100 }
            #expect(Set(files.compactMap { $0["video_id"]?.stringValue }) == Set(fragments.compactMap { $0["vid"]?.stringValue }))
            for file in files {
                let fragment = try #require(fragments.first { $0["vid"] == file["video_id"] })
                #expect(file["file_id"] == fragment["fileId"])
                #expect(file["file_size"]?.intValue == fragment["size"]?.intValue)
                #expect(file["file_format"]?.stringValue == "flv")
                #expect(file["task_id"]?.stringValue == task && file["channel_id"]?.stringValue == channel)
                #expect(file["video_url"] == fragment["playUrl"])
                let duration = try #require(file["duration"]?.numberValue)
                #expect(abs(duration - (fragment["duration"]?.numberValue ?? 0)) < 0.001)
                let start = try #require(file["start_time"]?.intValue), end = try #require(file["end_time"]?.intValue)
                #expect(end >= start && end - start <= 11)
                // The play URL in the event plays.
                let played = try await PlaybackTests.get(try #require(file["video_url"]?.stringValue), head: true)
                #expect(played.status == 200 && played.headers["content-length"] == fragment["size"].map { "\($0.intValue ?? -1)" })
            }
            let streamId = try #require(events[0]["stream_id"]?.stringValue)
            #expect(upstream.contains("/live/\(streamId)?"))
            for event in events {
                let t = try #require(event["t"]?.intValue)
                #expect(LVBCallbackSignature.isValid(sign: event["sign"]?.stringValue ?? "", key: Self.key, t: t, now: Int64(Date().timeIntervalSince1970)))
                #expect(event["channel_id"]?.stringValue == channel && event["stream_id"]?.stringValue == streamId)
            }
            let stopped = try #require(events.first { $0["event_type"]?.intValue == 0 })
            #expect((stopped["push_duration"]?.intValue ?? 0) > 10_000)
            #expect(stopped["user_ip"]?.stringValue == "127.0.0.1")

            // The receiver goes down; a second push's events queue.
            await receiver.stop()
            let second = folder.appendingPathComponent("second")
            try FileManager.default.createDirectory(at: second, withIntermediateDirectories: true)
            let short = try RecordingTests.makeSource(seconds: 4, in: second)
            try await RecordingTests.waitForExit(try RecordingTests.startPush(short, to: upstream), within: .seconds(60))
            try await RecordingTests.waitFor("a third fragment") { try server.fragments(channel, task).count == 3 }
            try await Task.sleep(for: .seconds(3))
            #expect(receiver.events.count == 4)

            // The metrics count the four deliveries and the failed attempts.
            var metrics = ""
            for _ in 0..<60 {
                metrics = String(decoding: try await PlaybackTests.get("http://127.0.0.1:\(server.http)/metrics").body, as: UTF8.self)
                if (Self.value("reel_callback_failures_total", in: metrics) ?? 0) >= 1 { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(metrics.contains("reel_callback_deliveries_total 4"), "\(metrics)")
            #expect((Self.value("reel_callback_failures_total", in: metrics) ?? 0) >= 1, "\(metrics)")
            #expect(receiver.events.count == 4)

            // Reel restarts; then the receiver comes back on its address: the queued events arrive,
            // each once, the earlier ones are not sent again.
            #expect(try await server.process.terminate() == 0)
            server = try await RecordingTests.Server.start(folder, arguments: arguments)
            try await receiver.start(in: &tasks)
            try await Self.waitFor("the queued events", seconds: 120) { receiver.events.count >= 7 }
            try await Task.sleep(for: .seconds(2))
            events = receiver.events.map(\.json)
            #expect(events.count == 7)
            let late = Array(events.dropFirst(4))
            #expect(late.first?["event_type"]?.intValue == 1)
            #expect(late.map { $0["event_type"]?.intValue ?? -1 }.sorted() == [0, 1, 100])
            let third = try #require(try server.fragments(channel, task).last)
            #expect(late.first { $0["event_type"]?.intValue == 100 }?["video_id"] == third["vid"])
            #expect(Set(events.compactMap { $0["event_id"]?.stringValue }).count == 7)
            for event in late {
                let t = try #require(event["t"]?.intValue)
                #expect(LVBCallbackSignature.isValid(sign: event["sign"]?.stringValue ?? "", key: Self.key, t: t, now: Int64(Date().timeIntervalSince1970)))
            }
            metrics = String(decoding: try await PlaybackTests.get("http://127.0.0.1:\(server.http)/metrics").body, as: UTF8.self)
            #expect(metrics.contains("reel_callback_deliveries_total 3"), "\(metrics)")
            _ = try await server.process.terminate()
            await receiver.stop()
            try await tasks.waitForAll()
        }
    }
}
