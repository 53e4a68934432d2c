import FLV
import Foundation
import NIOCore
import Testing

/// Test media made by ffmpeg's lavfi sources (never committed), and the real peers' presence.
enum Media {
    static func tool(_ name: String) -> String? {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// A GStreamer element is installed.
    static func hasGStreamerElement(_ element: String) -> Bool {
        guard let inspect = tool("gst-inspect-1.0") else { return false }
        return (try? Command.run(inspect, [element]).status) == 0
    }

    /// An H.264/AAC FLV of `seconds`, GOP 2 s, in a new temporary folder.
    static func makeSource(seconds: Int = 4) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reel-media-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("source.flv")
        let result = try Command.run(
            try #require(tool("ffmpeg"), "ffmpeg is required (scripts/test installs it)"),
            [
                "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-c:v", "libx264", "-preset", "ultrafast",
                "-g", "50", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-t", String(seconds), url.path,
            ]
        )
        guard result.status == 0 else { throw HarnessError("ffmpeg failed: \(result.output)") }
        return url
    }

    /// The audio and video tags of an FLV file.
    static func mediaTags(of url: URL) throws -> [FLVTag] {
        var buffer = ByteBuffer(bytes: try Data(contentsOf: url))
        var decoder = FLVTagDecoder()
        var tags: [FLVTag] = []
        while let element = try decoder.decode(buffer: &buffer) {
            if case .tag(let tag) = element, tag.type != .scriptData { tags.append(tag) }
        }
        return tags
    }
}

/// Runs programs; standard output and error are read together through one pipe.
enum Command {
    static func run(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        wait(try start(path, arguments))
    }

    static func start(_ path: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        return process
    }

    static func wait(_ process: Process) -> (status: Int32, output: String) {
        let output = (process.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
