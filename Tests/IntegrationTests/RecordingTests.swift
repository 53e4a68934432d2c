import FLV
import Foundation
import LVB
import NIOCore
import Store
import Testing

/// Recording end to end: ffmpeg pushes a generated H.264/AAC stream into the real `reel`
/// binary, and ffprobe, flvmeta and ffmpeg judge the fragments. The two tests are independent
/// and run in parallel.
@Suite struct RecordingTests {
    // MARK: Tools

    static func tool(_ name: String) throws -> String {
        try #require(
            ["/usr/bin/\(name)", "/usr/local/bin/\(name)"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "\(name) is required (scripts/test installs it)"
        )
    }

    /// Runs a tool to completion; standard output and error together.
    static func run(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try tool(name))
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// An H.264/AAC FLV of `seconds`, GOP 2 s (25 fps, keyframe every 50 frames).
    static func makeSource(seconds: Int, in folder: URL) throws -> URL {
        let url = folder.appendingPathComponent("source.flv")
        let result = try run(
            "ffmpeg",
            [
                "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-c:v", "libx264", "-preset", "ultrafast",
                "-g", "50", "-keyint_min", "50", "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
                "-t", String(seconds), url.path,
            ]
        )
        try #require(result.status == 0, "ffmpeg failed: \(result.output)")
        return url
    }

    /// Starts ffmpeg pushing `source` in real time (`-re`) to `url`; with `progress`, ffmpeg
    /// reports there every 0.1 s how much media it has sent (see ``pushedSeconds(_:)``).
    static func startPush(_ source: URL, to url: String, progress: URL? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try tool("ffmpeg"))
        let reporting = progress.map { ["-progress", $0.path, "-stats_period", "0.1"] } ?? []
        process.arguments =
            ["-hide_banner", "-loglevel", "error"] + reporting + ["-re", "-i", source.path, "-c", "copy", "-f", "flv", url]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The media time a push had sent by its latest progress report, in seconds.
    static func pushedSeconds(_ progress: URL) throws -> Double {
        let report = try String(contentsOf: progress, encoding: .utf8)
        let times = report.split(separator: "\n").compactMap { line in
            line.hasPrefix("out_time_us=") ? Double(line.dropFirst("out_time_us=".count)) : nil
        }
        return try #require(times.last) / 1_000_000
    }

    static func waitForExit(_ process: Process, within limit: Duration) async throws {
        let deadline = ContinuousClock.now + limit
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                process.terminate()
                Issue.record("ffmpeg did not finish within \(limit)")
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    // MARK: API

    struct Server {
        let folder: URL
        let process: ReelProcess
        let http: Int

        static func start(_ folder: URL, arguments: [String] = []) async throws -> Server {
            let process = try ReelProcess(
                directory: folder, arguments: ["--max-fragment-duration", "10", "--api-timezone", "UTC"] + arguments
            )
            let http = try await process.httpPort()
            _ = try await process.rtmpPort()
            return Server(folder: folder, process: process, http: http)
        }

        func api(_ arguments: [String]) throws -> LVBJSON {
            let result = try ReelProcess.run(
                ["api"] + arguments + ["--endpoint", "http://127.0.0.1:\(http)/v2/index.php"], directory: folder
            )
            return try LVBJSON(parsing: result.stdout)
        }

        /// Creates a channel and a task starting now; returns the channel id, task id and push address.
        func channelRecordingNow() async throws -> (channel: String, task: String, upstream: String) {
            let created = try api(["CreateLVBChannel", "channelName=cam", "outputSourceType=1", "sourceList.1.name=c", "sourceList.1.type=1"])
            let channel = try #require(created["channel_id"]?.stringValue)
            let upstream = try #require(created["channelInfo"]?["upstream_address"]?.stringValue)
            let now = LVBTime.format(Int64(Date().timeIntervalSince1970), in: .utc).replacingOccurrences(of: " ", with: "T") + "Z"
            let record = try api(["CreateRecord", "channelId=\(channel)", "startTime=\(now)"])
            #expect(record["code"]?.intValue == 0, "\(record)")
            let task = try #require(record["task_id"]?.stringValue)
            // The scheduler starts it within a tick; then the recorder subscribes.
            try await waitFor("task \(task) to run") {
                try api(["DescribeRecordList", "channelId=\(channel)"])["taskSet"]?[0]?["status"]?.intValue == 1
            }
            try await Task.sleep(for: .milliseconds(500))
            return (channel, task, upstream)
        }

        func fragments(_ channel: String, _ task: String) throws -> [LVBJSON] {
            try api(["DescribeRecord", "channelId=\(channel)", "taskId=\(task)", "pageSize=100"])["fileSet"]?.arrayValue ?? []
        }

        /// Where the server keeps a fragment's file: its blob in the library.
        func path(_ channel: String, _ fragment: LVBJSON) throws -> String {
            let vid = try #require(fragment["vid"]?.stringValue)
            let data = folder.appendingPathComponent("reel-data").path
            return data + "/" + LocalBlobStore(dataDirectory: data).location(of: vid)
        }
    }

    static func waitFor(_ what: String, within limit: Duration = .seconds(20), _ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while try !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting for \(what)")
                throw ProcessFailure(description: "timed out waiting for \(what)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    // MARK: Checks

    /// The tags of an FLV file.
    static func tags(of path: String) throws -> [FLVTag] {
        var buffer = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: path)))
        var decoder = FLVTagDecoder()
        var tags: [FLVTag] = []
        while let element = try decoder.decode(buffer: &buffer) {
            if case .tag(let tag) = element { tags.append(tag) }
        }
        #expect(buffer.readableBytes == 0, "\(path) has \(buffer.readableBytes) trailing bytes")
        return tags
    }

    /// The file offsets and timestamps of the video keyframes that are not sequence headers.
    static func keyframeTags(of path: String) throws -> [(position: Int, timestamp: UInt32)] {
        var position = 9 + 4  // FLV header, PreviousTagSize0
        var result: [(Int, UInt32)] = []
        for tag in try tags(of: path) {
            let media = FLVMediaTag(type: tag.type, timestamp: Int64(tag.timestamp), data: tag.data)
            if tag.type == .video && media.isKeyframe && !media.isSequenceHeader { result.append((position, tag.timestamp)) }
            position += 11 + tag.data.readableBytes + 4
        }
        return result
    }

    /// Audio and video frames (no sequence headers, no script data).
    static func frames(_ tags: [FLVTag]) -> [FLVTag] {
        tags.filter { tag in
            tag.type != .scriptData && !FLVMediaTag(type: tag.type, timestamp: Int64(tag.timestamp), data: tag.data).isSequenceHeader
        }
    }

    /// Checks one fragment with the real tools; returns its frames.
    @discardableResult
    static func validate(_ path: String, limit: Double = 10.0) throws -> [FLVTag] {
        let tags = try tags(of: path)
        let frames = frames(tags)
        let first = try #require(frames.first(where: { $0.type == .video }), "\(path) has no video")
        #expect(first.data.readableBytesView.first == 0x17, "\(path) does not start on a keyframe")
        #expect(frames.first?.timestamp == 0)
        let span = Double(frames.map(\.timestamp).max() ?? 0) / 1000
        #expect(span <= limit, "\(path) spans \(span) s")

        let probe = try run("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path])
        #expect(probe.status == 0, "ffprobe: \(probe.output)")
        let duration = try #require(Double(probe.output.trimmingCharacters(in: .whitespacesAndNewlines)), "ffprobe said \(probe.output)")
        #expect(abs(duration - span) <= 0.1, "\(path): ffprobe duration \(duration) s, tags span \(span) s")
        print("fragment \((path as NSString).lastPathComponent): tags span \(span) s, ffprobe \(duration) s")

        // flvmeta exits 10 on errors and ends its report with "N error(s), M warning(s)".
        let check = try run("flvmeta", ["--check", "--level", "error", path])
        #expect(check.status == 0, "flvmeta --check \(path): \(check.output)")
        #expect(check.output.contains("0 error(s)"), "flvmeta --check \(path): \(check.output)")

        // The keyframes index (as flvmeta reads it) points at every keyframe tag, with its time.
        let dump = try run("flvmeta", ["--dump", "--json", path])
        let metadata = try #require(try JSONSerialization.jsonObject(with: Data(dump.output.utf8)) as? [String: Any], "\(dump.output)")
        let index = try #require(metadata["keyframes"] as? [String: Any])
        let times = try #require(index["times"] as? [Double])
        let positions = try #require(index["filepositions"] as? [Double]).map { Int($0) }
        let keyframes = try keyframeTags(of: path)
        #expect(positions == keyframes.map(\.position), "\(path): index \(positions), keyframes at \(keyframes.map(\.position))")
        #expect(times == keyframes.map { Double($0.timestamp) / 1000 })
        #expect((metadata["duration"] as? Double).map { abs($0 - span) < 0.001 } == true)
        #expect(metadata["filesize"] as? Double == (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int).map(Double.init))

        // Seek past the middle: ffmpeg lands on the keyframe at or before it, found through the index.
        let target = (span / 2).rounded(.down) + 0.5
        let seek = try run(
            "ffprobe",
            ["-v", "error", "-read_intervals", "\(target)%+#1", "-select_streams", "v", "-show_entries", "frame=pts_time,key_frame", "-of", "csv=p=0", path]
        )
        let firstFrame = seek.output.split(separator: "\n").first.map { $0.split(separator: ",") } ?? []
        #expect(firstFrame.first == "1", "seek to \(target) s in \(path) decoded \(seek.output.prefix(200))")
        if let time = firstFrame.last.flatMap({ Double($0) }) {
            #expect(time <= target && time > target - 2.01, "seek to \(target) s landed at \(time) s")
        }
        // And `ffmpeg -ss` (without accurate seek, keeping timestamps) starts decoding at that keyframe.
        let ffmpegSeek = try run(
            "ffmpeg",
            ["-hide_banner", "-noaccurate_seek", "-ss", "\(target)", "-copyts", "-i", path, "-map", "0:v:0", "-frames:v", "1",
             "-vf", "showinfo", "-f", "null", "-"]
        )
        #expect(ffmpegSeek.status == 0, "ffmpeg -ss \(target) \(path): \(ffmpegSeek.output.suffix(400))")
        let shown = ffmpegSeek.output.firstMatch(of: /pts_time:([0-9.]+).*iskey:(\d)/)
        let landed = shown.flatMap { Double($0.1) }
        #expect(shown?.2 == "1", "ffmpeg -ss \(target) did not start on a keyframe: \(ffmpegSeek.output.suffix(400))")
        let keyframeTimes = keyframes.map { Double($0.timestamp) / 1000 }
        let onKeyframe = landed.map { time in keyframeTimes.contains { abs($0 - time) < 0.002 } } ?? false
        #expect(onKeyframe, "ffmpeg -ss \(target) landed at \(String(describing: landed)), not on an indexed keyframe")
        #expect(landed.map { $0 <= target && $0 > target - 2.01 } == true)
        return frames
    }

    // MARK: Tests

    @Test func a35SecondPushBecomesFourValidFragmentsHoldingEveryTag() async throws {
        let folder = try temporaryFolder("record")
        let source = try Self.makeSource(seconds: 35, in: folder)
        let server = try await Server.start(folder)
        let (channel, task, upstream) = try await server.channelRecordingNow()

        let push = try Self.startPush(source, to: upstream)
        try await Self.waitForExit(push, within: .seconds(60))
        try await Self.waitFor("4 fragments") { try server.fragments(channel, task).count >= 4 }
        try await Task.sleep(for: .seconds(1))
        let fragments = try server.fragments(channel, task)
        #expect(fragments.count == 4)

        var recorded: [FLVTag] = []
        for fragment in fragments {
            let path = try server.path(channel, fragment)
            #expect(fragment["size"]?.intValue == (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int).map(Int64.init))
            #expect(fragment["playUrl"]?.stringValue?.hasSuffix("/\(fragment["vid"]?.stringValue ?? "").f0.flv") == true)
            recorded += try Self.validate(path)
        }
        // Every audio and video tag the publisher sent, once, in order.
        let sent = Self.frames(try Self.tags(of: source.path))
        #expect(recorded.count == sent.count)
        #expect(recorded.map(\.data) == sent.map(\.data))
        #expect(try server.api(["DescribeRecordList", "channelId=\(channel)"])["taskSet"]?[0]?["count"]?.intValue == 4)
        #expect(try await server.process.terminate() == 0)
    }

    @Test func aPublisherRestartOpensANewFragmentAndACrashLosesAtMostASecond() async throws {
        let folder = try temporaryFolder("crash")
        let source = try Self.makeSource(seconds: 20, in: folder)
        var server = try await Server.start(folder)
        let (channel, task, upstream) = try await server.channelRecordingNow()
        let fragmentsFolder = folder.appendingPathComponent("reel-data/fragments/\(channel)").path
        func partFile() -> String? {
            (try? FileManager.default.contentsOfDirectory(atPath: fragmentsFolder))?.first { $0.hasSuffix(".part") }
        }

        // A publisher killed mid-task closes its fragment.
        var push = try Self.startPush(source, to: upstream)
        try await Task.sleep(for: .seconds(5))
        kill(push.processIdentifier, SIGKILL)
        try await Self.waitFor("the first fragment") { try server.fragments(channel, task).count == 1 }

        // It pushes again: a new fragment; the server is killed while it records.
        let progress = folder.appendingPathComponent("push-progress.txt")
        push = try Self.startPush(source, to: upstream, progress: progress)
        try await Self.waitFor("a new part file") { partFile() != nil }
        try await Task.sleep(for: .seconds(6))
        // What the publisher had sent, by its own count: a loaded machine slows ffmpeg's `-re`
        // below wall time, so wall time would overstate the loss.
        kill(push.processIdentifier, SIGSTOP)
        let pushed = try Self.pushedSeconds(progress)
        _ = try await server.process.terminate(signal: SIGKILL)
        kill(push.processIdentifier, SIGKILL)

        // The restart recovers the fragment before accepting pushes.
        server = try await Server.start(folder)
        #expect(partFile() == nil)
        var fragments = try server.fragments(channel, task)
        #expect(fragments.count == 2)
        let sent = Self.frames(try Self.tags(of: source.path))
        for fragment in fragments {
            let frames = try Self.validate(try server.path(channel, fragment))
            // Each push starts the source from its beginning.
            #expect(frames.map(\.data) == sent.prefix(frames.count).map(\.data))
        }
        let recovered = try #require(fragments.last)
        let duration = try #require(recovered["duration"]?.numberValue)
        // The last progress report can be up to 0.1 s old.
        let lost = pushed - duration
        #expect(lost <= 1.0, "recovered \(duration) s of \(pushed) s: lost \(lost) s")
        print("crash recovery: recovered \(duration) s of \(pushed) s pushed before kill -9 (lost \(lost) s)")

        // The task is still running after the restart: a new push records into a new fragment.
        push = try Self.startPush(source, to: try #require(
            try server.api(["DescribeLVBChannel", "channelId=\(channel)"])["channelInfo"]?[0]?["upstream_list"]?[0]?["sourceAddress"]?.stringValue
        ))
        try await Task.sleep(for: .seconds(3))
        kill(push.processIdentifier, SIGKILL)
        try await Self.waitFor("the third fragment") { try server.fragments(channel, task).count == 3 }
        fragments = try server.fragments(channel, task)
        try Self.validate(try server.path(channel, fragments[2]))
        #expect(try server.api(["StopRecord", "channelId=\(channel)", "taskId=\(task)"])["code"]?.intValue == 0)
        #expect(try server.api(["DescribeRecordList", "channelId=\(channel)"])["taskSet"]?[0]?["status"]?.intValue == 2)
        #expect(try await server.process.terminate() == 0)
    }
}

extension LVBJSON {
    var numberValue: Double? {
        switch self {
        case .double(let value): value
        case .int(let value): Double(value)
        default: nil
        }
    }
}
