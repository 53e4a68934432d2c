import FLV
import Foundation
import NIOCore
import RTMPServer
import Store
import Testing

/// Real, independent publishers push into a channel; a subscriber must receive every audio and
/// video tag of the source, payload for payload, in order, with the source's timestamps.
@Suite(.serialized) struct PublisherInteropTests {
    enum Publisher: String, CaseIterable, CustomTestStringConvertible {
        case ffmpeg
        case gstreamerRTMP2 = "rtmp2sink"
        case gstreamerLibRTMP = "rtmpsink"

        var testDescription: String { rawValue }

        /// The command that pushes `source` to `url` at real-time pace.
        func command(source: URL, url: String) throws -> (String, [String]) {
            switch self {
            case .ffmpeg:
                return (
                    try #require(Media.tool("ffmpeg")),
                    ["-hide_banner", "-loglevel", "error", "-re", "-i", source.path, "-c", "copy", "-f", "flv", url]
                )
            case .gstreamerRTMP2, .gstreamerLibRTMP:
                try #require(
                    Media.hasGStreamerElement(rawValue),
                    "GStreamer \(rawValue) is required (scripts/test installs it)"
                )
                return (
                    try #require(Media.tool("gst-launch-1.0")),
                    [
                        "-q", "filesrc", "location=\(source.path)", "!", "flvdemux", "name=d",
                        "d.video", "!", "queue", "!", "h264parse", "!", "flvmux", "name=m", "streamable=true", "!",
                        rawValue, "location=\(url)" + (self == .gstreamerLibRTMP ? " live=1" : ""),
                        "d.audio", "!", "queue", "!", "aacparse", "!", "m.",
                    ]
                )
            }
        }
    }

    @Test(arguments: Publisher.allCases)
    func publisherStreamsEveryTagAndChannelStatusFollows(publisher: Publisher) async throws {
        let source = try Media.makeSource(seconds: 4)
        let expected = try Media.mediaTags(of: source)
        let harness = try await IngestHarness()
        let (channel, url) = try await harness.makeChannel()
        let collector = TagCollector()
        harness.hub.subscribe(collector, streamId: channel.streamId)

        let (tool, arguments) = try publisher.command(source: source, url: url)
        let process = try Command.start(tool, arguments)
        try await collector.waitForTags(10)
        #expect(try await harness.status(channel) == .live)
        let result = Command.wait(process)
        #expect(result.status == 0, "\(publisher.rawValue): \(result.output)")
        try await collector.waitForEnds(1)
        // Each of these publishers unpublishes when its input ends: status 0, not 2 (abnormal).
        #expect(try await harness.status(channel) == .noInput)
        #expect(!harness.hub.isLive(streamId: channel.streamId))
        #expect(collector.snapshot.ends.map(\.1) == [.unpublished])

        let received = collector.snapshot.tags.filter { $0.type != .scriptData }
        #expect(
            received.count == expected.count,
            "\(publisher.rawValue) delivered \(received.count) of \(expected.count) tags"
        )
        for (index, (got, want)) in zip(received, expected).enumerated() {
            // The AVC end-of-sequence marker is not source media: a remuxing publisher (GStreamer's
            // flvmux) writes its own after its last frame, so only its bytes are compared.
            let isEndOfSequence =
                want.type == .video && (try? FLVVideoTagHeader(parsing: want.data))?.packetType == .sequenceEnd
            let timestampMatches = isEndOfSequence || abs(got.timestamp - Int64(want.timestamp)) <= 1
            guard got.type == want.type, got.data == want.data, timestampMatches else {
                Issue.record(
                    "tag \(index) differs: got \(got.type) @\(got.timestamp) \(got.data.readableBytes) B, want \(want.type) @\(want.timestamp) \(want.data.readableBytes) B"
                )
                break
            }
        }
        #expect(received.first?.isSequenceHeader == true)
        #expect(received.contains { $0.isKeyframe })
        try await harness.stop()
    }
}
