import AsyncHTTPClient
import Foundation
import LVB
import NIOCore
import Testing

/// The VOD library end to end: a short recording made by the real `reel` binary is fetched
/// from its play URL over real HTTP and opened by ffprobe.
@Suite struct PlaybackTests {
    static func get(
        _ url: String,
        head: Bool = false,
        headers: [(String, String)] = []
    ) async throws -> (status: UInt, headers: [String: String], body: [UInt8]) {
        var request = HTTPClientRequest(url: url)
        if head { request.method = .HEAD }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        var fields: [String: String] = [:]
        for header in response.headers { fields[header.name.lowercased()] = header.value }
        return (response.status.code, fields, Array(buffer: body))
    }

    @Test func aRecordedFragmentDownloadsByteIdenticalAndFFprobeOpensItsPlayURL() async throws {
        let folder = try temporaryFolder("play")
        let source = try RecordingTests.makeSource(seconds: 4, in: folder)
        let server = try await RecordingTests.Server.start(folder)
        let (channel, task, upstream) = try await server.channelRecordingNow()

        let push = try RecordingTests.startPush(source, to: upstream)
        try await RecordingTests.waitForExit(push, within: .seconds(30))
        try await RecordingTests.waitFor("a fragment") { try server.fragments(channel, task).count >= 1 }
        let fragment = try #require(try server.fragments(channel, task).first)
        let playURL = try #require(fragment["playUrl"]?.stringValue)
        #expect(playURL.hasPrefix("http://127.0.0.1:\(server.http)/"))
        let onDisk = Array(try Data(contentsOf: URL(fileURLWithPath: try server.path(channel, fragment))))
        #expect(onDisk.count > 1000)

        // The whole file, byte for byte.
        let whole = try await Self.get(playURL)
        #expect(whole.status == 200)
        #expect(whole.headers["content-type"] == "video/x-flv")
        #expect(whole.headers["content-length"] == String(onDisk.count))
        #expect(whole.headers["accept-ranges"] == "bytes")
        #expect(whole.body == onDisk)
        let etag = try #require(whole.headers["etag"])

        // A range is exactly the asked bytes; a conditional request with the ETag is 304.
        let ranged = try await Self.get(playURL, headers: [("Range", "bytes=100-1099")])
        #expect(ranged.status == 206)
        #expect(ranged.headers["content-range"] == "bytes 100-1099/\(onDisk.count)")
        #expect(ranged.body == Array(onDisk[100...1099]))
        let cached = try await Self.get(playURL, headers: [("If-None-Match", etag)])
        #expect(cached.status == 304 && cached.body.isEmpty)
        let past = try await Self.get(playURL, headers: [("Range", "bytes=\(onDisk.count)-")])
        #expect(past.status == 416 && past.headers["content-range"] == "bytes */\(onDisk.count)")
        // HEAD: GET's headers, no body.
        let head = try await Self.get(playURL, head: true)
        #expect(head.status == 200 && head.body.isEmpty)
        var headFields = head.headers
        var getFields = whole.headers
        headFields["date"] = nil
        getFields["date"] = nil
        #expect(headFields == getFields)
        let unknown = try await Self.get("http://127.0.0.1:\(server.http)/1000_ffffffffffffffffffffffffffffffff.f0.flv")
        #expect(unknown.status == 404)

        // ffprobe reads the URL directly and finds both streams and the duration.
        let probe = try RecordingTests.run(
            "ffprobe",
            ["-v", "error", "-show_entries", "stream=codec_name:format=duration", "-of", "csv=p=0", playURL]
        )
        #expect(probe.status == 0, "ffprobe \(playURL): \(probe.output)")
        #expect(probe.output.contains("h264") && probe.output.contains("aac"), "\(probe.output)")
        let duration = fragment["duration"]?.numberValue ?? 0
        let probed = probe.output.split(separator: "\n").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            .last
        #expect(
            probed.map { abs($0 - duration) < 0.2 } == true,
            "ffprobe said \(probe.output), DescribeRecord \(duration)"
        )
        // And seeks in it over HTTP (ranges): the first video frame read after 2.5 s is a keyframe.
        let seek = try RecordingTests.run(
            "ffprobe",
            [
                "-v", "error", "-read_intervals", "2.5%+#1", "-select_streams", "v", "-show_entries", "frame=key_frame",
                "-of", "csv=p=0", playURL,
            ]
        )
        #expect(seek.status == 0 && seek.output.hasPrefix("1"), "ffprobe seek \(playURL): \(seek.output.prefix(300))")
        #expect(try await server.process.terminate() == 0)
    }
}
