import Foundation
import LVB
import Testing

/// A real publisher pushing into the real server, driven through `reel api`.
@Suite(.serialized) struct LiveChannelTests {
    static func ffmpeg() throws -> String {
        try #require(
            ["/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "ffmpeg is required (scripts/test installs it)"
        )
    }

    /// Starts ffmpeg pushing an endless generated H.264 stream to `url`.
    static func startPush(_ url: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ffmpeg())
        process.arguments = [
            "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-f", "flv", url,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func waitForExit(_ process: Process, within limit: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                process.terminate()
                return false
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return true
    }

    func api(_ folder: URL, _ port: Int, _ arguments: [String]) throws -> LVBJSON {
        let result = try ReelProcess.run(["api"] + arguments + ["--endpoint", "http://127.0.0.1:\(port)/v2/index.php"], directory: folder)
        return try LVBJSON(parsing: result.stdout)
    }

    func status(_ folder: URL, _ port: Int, _ id: String) throws -> String? {
        try api(folder, port, ["DescribeLVBChannel", "channelId=\(id)"])["channelInfo"]?[0]?["channel_status"]?.stringValue
    }

    func waitForStatus(_ expected: String, _ folder: URL, _ port: Int, _ id: String) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while try status(folder, port, id) != expected {
            guard ContinuousClock.now < deadline else {
                Issue.record("channel status stayed \(try status(folder, port, id) ?? "nil"), expected \(expected)")
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    @Test func stopAndDeleteEndALivePushAndACrashLeavesStatusAbnormal() async throws {
        let folder = try temporaryFolder("live")
        let server = try ReelProcess(directory: folder)
        let http = try await server.httpPort()
        _ = try await server.rtmpPort()
        let created = try api(folder, http, ["CreateLVBChannel", "channelName=cam", "outputSourceType=1", "sourceList.1.name=c", "sourceList.1.type=1"])
        let id = try #require(created["channel_id"]?.stringValue)
        let upstream = try #require(created["channelInfo"]?["upstream_address"]?.stringValue)

        // Push; status 1 while live; StopLVBChannel ends the push and refuses the next one.
        var push = try Self.startPush(upstream)
        try await waitForStatus("1", folder, http, id)
        #expect(try api(folder, http, ["StopLVBChannel", "channelIds.1=\(id)"])["code"]?.intValue == 0)
        #expect(try await Self.waitForExit(push, within: .seconds(10)), "ffmpeg kept pushing to a stopped channel")
        #expect(try status(folder, http, id) == "3")
        let refused = try Self.startPush(upstream)
        #expect(try await Self.waitForExit(refused, within: .seconds(10)))
        #expect(refused.terminationStatus != 0)

        // Start again; push; DeleteLVBChannel ends it.
        #expect(try api(folder, http, ["StartLVBChannel", "channelIds.1=\(id)"])["code"]?.intValue == 0)
        #expect(try status(folder, http, id) == "0")
        push = try Self.startPush(upstream)
        try await waitForStatus("1", folder, http, id)

        // A crash while live: after a restart the channel is abnormal (2), not live.
        kill(server.process.processIdentifier, SIGKILL)
        _ = try await server.terminate(signal: SIGKILL)
        _ = try await Self.waitForExit(push, within: .seconds(15))
        let restarted = try ReelProcess(directory: folder)
        let http2 = try await restarted.httpPort()
        #expect(try status(folder, http2, id) == "2")

        let rtmp2 = try await restarted.rtmpPort()
        let newUpstream = try #require(try api(folder, http2, ["DescribeLVBChannel", "channelId=\(id)"])["channelInfo"]?[0]?["upstream_list"]?[0]?["sourceAddress"]?.stringValue)
        #expect(newUpstream.contains(":\(rtmp2)/live/"))
        push = try Self.startPush(newUpstream)
        try await waitForStatus("1", folder, http2, id)
        #expect(try api(folder, http2, ["DeleteLVBChannel", "channelIds.1=\(id)"])["code"]?.intValue == 0)
        #expect(try await Self.waitForExit(push, within: .seconds(10)), "ffmpeg kept pushing to a deleted channel")
        #expect(try await restarted.terminate() == 0)
    }
}
