import FLV
import Foundation
import LVB
import NIOCore
import Testing

/// Operations end to end on the real `reel` binary: `/metrics` after a real recording, and
/// `reel fragments check` on the recorded fragment (by vid and by path) and on corrupted copies.
@Suite struct OperationsTests {
    /// The samples of a Prometheus exposition, by series (`name{labels}`).
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    @Test func metricsFollowARecordingAndFragmentsCheckValidatesItsFragment() async throws {
        let folder = try temporaryFolder("ops")
        let source = try RecordingTests.makeSource(seconds: 5, in: folder)
        let server = try await RecordingTests.Server.start(folder)
        let (channel, task, upstream) = try await server.channelRecordingNow()

        let push = try RecordingTests.startPush(source, to: upstream)
        try await RecordingTests.waitForExit(push, within: .seconds(30))
        try await RecordingTests.waitFor("a fragment") { try server.fragments(channel, task).count >= 1 }
        let fragments = try server.fragments(channel, task)
        #expect(fragments.count == 1)
        let fragment = try #require(fragments.first)
        let vid = try #require(fragment["vid"]?.stringValue)
        let path = try server.path(channel, fragment)
        let tags = try RecordingTests.tags(of: path)

        // /metrics: one fragment opened and closed by the publisher stopping, every tag in it
        // counted, and at least every tag body the publisher sent read from the socket.
        let scrape = try await PlaybackTests.get("http://127.0.0.1:\(server.http)/metrics")
        #expect(scrape.status == 200)
        #expect(scrape.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        let text = String(decoding: scrape.body, as: UTF8.self)
        let samples = Self.samples(text)
        let closed = samples.filter { $0.key.hasPrefix("reel_fragments_closed_total{") }.values.reduce(0, +)
        #expect(closed == Double(fragments.count), "\(text)")
        #expect(samples[#"reel_fragments_closed_total{reason="interruption"}"#] == 1)
        #expect(samples["reel_fragments_opened_total"] == 1)
        #expect(samples["reel_fragments_open"] == 0)
        #expect(samples["reel_publishers_live"] == 0)
        #expect(samples["reel_fragment_close_duration_seconds_count"] == 1)
        #expect(samples[#"reel_tags_written_total{type="video"}"#] == Double(tags.filter { $0.type == .video }.count))
        #expect(samples[#"reel_tags_written_total{type="audio"}"#] == Double(tags.filter { $0.type == .audio }.count))
        #expect(samples[#"reel_tags_written_total{type="script"}"#] == 1)
        let sentBodies = try RecordingTests.tags(of: source.path).reduce(0) { $0 + $1.data.readableBytes }
        let bytesIn = try #require(samples["reel_bytes_in_total"])
        #expect(
            bytesIn >= Double(sentBodies),
            "read \(bytesIn) bytes, the publisher sent \(sentBodies) bytes of tag bodies"
        )
        #expect((samples[#"reel_api_requests_total{action="DescribeRecord",code="0"}"#] ?? 0) >= 1)
        #expect(samples[#"reel_api_requests_total{action="CreateRecord",code="0"}"#] == 1)

        // By vid, beside the running server, the data folder from REEL_DATA.
        let elsewhere = try temporaryFolder("ops-cwd")
        let data = folder.appendingPathComponent("reel-data").path
        let byVid = try ReelProcess.run(
            ["fragments", "check", vid],
            environment: ["REEL_DATA": data],
            directory: elsewhere
        )
        #expect(byVid.status == 0, "stdout:\n\(byVid.stdout)\nstderr:\n\(byVid.stderr)")
        #expect(byVid.stdout.contains("vid       \(vid)\n"))
        #expect(byVid.stdout.hasSuffix("\nvalid\n"))
        #expect(
            byVid.stdout.contains(/\n  videocodecid +7 \(AVC\)\n/)
                && byVid.stdout.contains(/\n  audiocodecid +10 \(AAC\)\n/)
        )
        #expect(byVid.stdout.contains(/\n  width +320\n/) && byVid.stdout.contains(/\n  height +240\n/))
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(byVid.stdout.contains("size      \(size) bytes\n"))
        let video = tags.filter { $0.type == .video }.count
        let audio = tags.filter { $0.type == .audio }.count
        #expect(byVid.stdout.contains("tags      \(tags.count) (video \(video), audio \(audio), script 1)"))
        let keyframes = try RecordingTests.keyframeTags(of: path)
        #expect(keyframes.count >= 2)
        #expect(byVid.stdout.contains("index     \(keyframes.count) entries"))
        for keyframe in keyframes {
            let time = String(format: "%.3f", Double(keyframe.timestamp) / 1000)
            #expect(byVid.stdout.contains("\(time) -> \(keyframe.position)\n"), "no index line for \(keyframe)")
        }
        print("reel fragments check \(vid):\n\(byVid.stdout)")

        #expect(try await server.process.terminate() == 0)

        // By path, and by vid with --data once the server has stopped.
        let byPath = try ReelProcess.run(["fragments", "check", path], directory: elsewhere)
        #expect(byPath.status == 0, "\(byPath.stderr)")
        #expect(byPath.stdout == byVid.stdout.replacingOccurrences(of: "vid       \(vid)\n", with: ""))
        let stopped = try ReelProcess.run(["fragments", "check", vid, "--data", data], directory: elsewhere)
        #expect(stopped.status == 0 && stopped.stdout == byVid.stdout, "\(stopped.stderr)")

        // A copy cut short, and a copy with one PreviousTagSize changed, are not valid.
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = elsewhere.appendingPathComponent("cut.flv")
        try original.dropLast(100).write(to: cut)
        let cutCheck = try ReelProcess.run(["fragments", "check", cut.path], directory: elsewhere)
        #expect(cutCheck.status == 1)
        #expect(cutCheck.stderr.contains("error: truncated at byte"), "\(cutCheck.stderr)")
        #expect(cutCheck.stderr.contains("error: fileSizeMismatch"), "\(cutCheck.stderr)")
        #expect(cutCheck.stderr.contains("not a valid fragment"))
        #expect(cutCheck.stdout.hasSuffix("\ninvalid\n"))

        var bytes = [UInt8](original)
        let middle = keyframes[keyframes.count / 2].position
        bytes[middle - 1] ^= 0x01  // the PreviousTagSize before a keyframe
        let damaged = elsewhere.appendingPathComponent("damaged.flv")
        try Data(bytes).write(to: damaged)
        let damagedCheck = try ReelProcess.run(["fragments", "check", damaged.path], directory: elsewhere)
        #expect(damagedCheck.status == 1)
        #expect(damagedCheck.stderr.contains("error: malformed at byte"), "\(damagedCheck.stderr)")
        #expect(damagedCheck.stderr.contains("PreviousTagSize"), "\(damagedCheck.stderr)")

        // Neither a file nor a known vid.
        let unknown = try ReelProcess.run(
            ["fragments", "check", "1000_ffffffffffffffffffffffffffffffff", "--data", data],
            directory: elsewhere
        )
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("no fragment of"), "\(unknown.stderr)")
    }
}
