import AMF
import FLV
import Foundation
import LVB
import NIOCore
import RTMPCore
import RTMPServer
import Store
import Testing

/// Refusals and hostile input each close only their own connection, within its timeout, while
/// a real publisher on another channel streams on and loses no tag.
@Suite(.serialized) struct IngestRefusalAndHostileInputTests {
    /// Runs `attacks` while ffmpeg pushes a source to another channel; then checks that every
    /// source tag reached that channel's subscriber.
    func whileFFmpegPublishes(
        _ harness: IngestHarness,
        seconds: Int = 14,
        _ attacks: (IngestHarness) async throws -> Void
    ) async throws {
        let source = try Media.makeSource(seconds: seconds)
        let expected = try Media.mediaTags(of: source)
        let (channel, url) = try await harness.makeChannel(name: "good")
        let collector = TagCollector()
        harness.hub.subscribe(collector, streamId: channel.streamId)
        let ffmpeg = try Command.start(
            try #require(Media.tool("ffmpeg")),
            ["-hide_banner", "-loglevel", "error", "-re", "-i", source.path, "-c", "copy", "-f", "flv", url]
        )
        try await collector.waitForTags(5)
        try await attacks(harness)
        #expect(harness.hub.isLive(streamId: channel.streamId), "the attacks ended the good publish early")
        let result = Command.wait(ffmpeg)
        #expect(result.status == 0, "ffmpeg: \(result.output)")
        try await collector.waitForEnds(1)
        let received = collector.snapshot.tags.filter { $0.type != .scriptData }
        #expect(received.count == expected.count)
        #expect(zip(received, expected).allSatisfy { $0.data == $1.data })
        #expect(collector.snapshot.ends.map(\.1) == [.unpublished])
    }

    @Test func refusedPublishesGetTheirStatusAndTheLivePublisherIsUndisturbed() async throws {
        let harness = try await IngestHarness()
        try await whileFFmpegPublishes(harness) { harness in
            let (channel, url) = try await harness.makeChannel()
            let name = String(url.split(separator: "/").last!)
            let streamId = channel.streamId
            let now = Int64(Date().timeIntervalSince1970)
            let wrong = streamId + "?" + LVBPushAuth.query(key: "not-the-key", streamId: streamId, expiry: now + 60)
            let expired =
                streamId + "?" + LVBPushAuth.query(key: IngestHarness.pushKey, streamId: streamId, expiry: now - 1)
            let (stopped, stoppedURL) = try await harness.makeChannel(status: .closed)
            let cases: [(String, String, String)] = [
                ("live", wrong, "NetStream.Publish.Rejected"),
                ("live", expired, "NetStream.Publish.Rejected"),
                ("live", streamId, "NetStream.Publish.Rejected"),
                ("live", "1000_unknown?txSecret=x&txTime=FFFFFFFF", "NetStream.Publish.BadName"),
                ("other", name, "NetStream.Publish.BadName"),
                ("live", String(stoppedURL.split(separator: "/").last!), "NetStream.Publish.Rejected"),
            ]
            for (app, published, code) in cases {
                let (answer, closedAfter) = try await RTMPTestClient.with(port: harness.port) { client in
                    try await client.handshake()
                    let answer = try await client.publish(app: app, published)
                    return (answer, try await client.waitForClose())
                }
                #expect(answer == code, "\(app)/\(published.prefix(20))…")
                #expect(closedAfter < .seconds(5))
            }
            #expect(try await harness.status(channel) == .noInput)
            #expect(try await harness.status(stopped) == .closed)

            // A second publisher on the live channel is refused; the first goes on.
            let liveStream = try #require(try await harness.store.channels(ChannelQuery(status: .live)).channels.first)
            let secondURL =
                liveStream.streamId + "?"
                + LVBPushAuth.query(key: IngestHarness.pushKey, streamId: liveStream.streamId, expiry: now + 60)
            let second = try await RTMPTestClient.with(port: harness.port) { client in
                try await client.handshake(scheme: .digestBlockFirst)
                return try await client.publish(secondURL)
            }
            #expect(second == "NetStream.Publish.BadName")

            // ffmpeg itself with a wrong secret fails and says so.
            let failed = try Command.run(
                try #require(Media.tool("ffmpeg")),
                [
                    "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=64x64:rate=5", "-t", "1",
                    "-c:v", "libx264", "-f", "flv", "rtmp://127.0.0.1:\(harness.port)/live/\(wrong)",
                ]
            )
            #expect(failed.status != 0)
        }
        try await harness.stop()
    }

    @Test func hostileConnectionsCloseWithinTheirTimeouts() async throws {
        let harness = try await IngestHarness { configuration in
            configuration.handshakeTimeout = .seconds(1)
            configuration.idleTimeout = .seconds(2)
        }
        try await whileFFmpegPublishes(harness) { harness in
            let port = harness.port
            let attacks: [(String, @Sendable (inout RTMPTestClient) async throws -> Void)] = [
                (
                    "random bytes",
                    { client in
                        try await client.send((0..<4096).map { _ in UInt8.random(in: 0...255) })
                    }
                ),
                (
                    "truncated handshake",
                    { client in
                        try await client.send([3] + [UInt8](repeating: 7, count: 700))
                    }
                ),
                (
                    "wrong version",
                    { client in
                        try await client.send([0x47, 0x45, 0x54, 0x20] + [UInt8](repeating: 0, count: 2000))
                    }
                ),
                (
                    "chunk streams that never complete",
                    { client in
                        try await client.handshake()
                        for csid in 3..<200 {
                            // A type-0 header on csid (1-byte or 2-byte form) declaring 1 MiB, and 100 bytes of it.
                            var chunk: [UInt8] = csid < 64 ? [UInt8(csid)] : [0, UInt8(csid - 64)]
                            chunk += [0, 0, 0, 0x10, 0x00, 0x00, 9, 1, 0, 0, 0]
                            try await client.send(chunk + [UInt8](repeating: 0, count: 100))
                        }
                    }
                ),
                (
                    "set chunk size 0",
                    { client in
                        try await client.handshake()
                        try await client.send([2, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0])
                    }
                ),
                (
                    "set chunk size 2^31",
                    { client in
                        try await client.handshake()
                        try await client.send([2, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0x80, 0, 0, 0])
                    }
                ),
                (
                    "16 MiB message header",
                    { client in
                        try await client.handshake()
                        try await client.send(
                            [3, 0, 0, 0, 0xFF, 0xFF, 0xFF, 20, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 128)
                        )
                    }
                ),
                (
                    "AMF nested 10,000 deep",
                    { client in
                        try await client.handshake()
                        var body = ByteBuffer()
                        body.writeAMF0Value(.string("connect"))
                        body.writeAMF0Value(.number(1))
                        for _ in 0..<10_000 { body.writeBytes([0x03, 0x00, 0x01, 0x61]) }
                        body.writeBytes([0x05])
                        for _ in 0..<10_000 { body.writeBytes([0x00, 0x00, 0x09]) }
                        try await client.send(.unsupported(.commandAMF0, body))
                    }
                ),
                (
                    "one byte a second during the handshake",
                    { client in
                        for _ in 0..<30 {
                            try await client.send([3])
                            try await Task.sleep(for: .seconds(1))
                        }
                    }
                ),
                (
                    "one byte a second after the handshake",
                    { client in
                        try await client.handshake()
                        for byte in [UInt8](repeating: 3, count: 30) {
                            try await client.send([byte])
                            try await Task.sleep(for: .seconds(1))
                        }
                    }
                ),
            ]
            try await withThrowingTaskGroup(of: (String, Duration).self) { group in
                for (name, attack) in attacks {
                    group.addTask {
                        let elapsed = try await RTMPTestClient.with(port: port) { client in
                            let start = ContinuousClock.now
                            do {
                                try await attack(&client)
                            } catch {
                                // The server may close while the attack is still sending.
                            }
                            _ = try await client.waitForClose()
                            return ContinuousClock.now - start
                        }
                        return (name, elapsed)
                    }
                }
                for try await (name, elapsed) in group {
                    // Handshake timeout 1 s, idle timeout 2 s; the 1-byte-a-second clients would take 30 s.
                    #expect(elapsed < .seconds(6), "\(name) was closed only after \(elapsed)")
                }
            }
        }
        try await harness.stop()
    }
}
