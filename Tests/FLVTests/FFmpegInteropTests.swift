import Foundation
import NIOCore
import Testing

@testable import FLV

/// End to end against real tools: a real H.264/AAC FLV made by ffmpeg is read with
/// ``FLVTagDecoder``, cut by ``FragmentPolicy``, written by ``FLVFragmentWriter`` and repaired
/// by ``FLVRepair``; ffprobe and `flvmeta --check` must accept every output.
@Suite("ffmpeg and flvmeta interop")
struct FFmpegInteropTests {
    static let tools = ["ffmpeg", "ffprobe", "flvmeta"]

    static func path(of tool: String) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        return directories.map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static let missingTools = tools.filter { path(of: $0) == nil }

    /// Runs a tool; returns its exit status and combined output.
    static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path(of: tool)!)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Checks one output file with ffprobe and flvmeta; returns ffprobe's duration.
    static func validate(_ file: URL) throws -> Double {
        let check = try run("flvmeta", ["--check", "--level", "error", file.path])
        #expect(check.status == 0, "flvmeta --check \(file.lastPathComponent): \(check.output)")
        #expect(check.output.contains("0 error(s)"), "\(check.output)")
        let warnings = try run("flvmeta", ["--check", file.path]).output
        // Warnings are printed, not failed: flvmeta indexes the first keyframe-typed tag at a
        // timestamp (the AVC sequence header) and recomputes publisher-declared rates.
        print("flvmeta --check \(file.lastPathComponent):\n\(warnings)")
        let probe = try run(
            "ffprobe",
            ["-v", "error", "-show_entries", "format=duration:stream=codec_name", "-of", "default=nw=1", file.path]
        )
        #expect(probe.status == 0, "ffprobe \(file.lastPathComponent): \(probe.output)")
        // At `-v error` anything besides the requested entries is a complaint about the file.
        let complaints = probe.output.split(separator: "\n").filter {
            !$0.hasPrefix("duration=") && !$0.hasPrefix("codec_name=")
        }
        #expect(complaints.isEmpty, "ffprobe \(file.lastPathComponent) complained: \(complaints)")
        #expect(probe.output.contains("codec_name=h264") && probe.output.contains("codec_name=aac"), "\(probe.output)")
        let decode = try run("ffmpeg", ["-v", "error", "-xerror", "-i", file.path, "-f", "null", "-"])
        #expect(
            decode.status == 0 && decode.output.isEmpty,
            "ffmpeg decode \(file.lastPathComponent): \(decode.output)"
        )
        let duration = probe.output.split(separator: "\n").first { $0.hasPrefix("duration=") }
        return Double(duration?.dropFirst("duration=".count) ?? "") ?? 0
    }

    @Test(
        "a real H.264/AAC stream, cut, written, repaired: ffprobe and flvmeta accept every file",
        .enabled(if: missingTools.isEmpty, "needs ffmpeg, ffprobe and flvmeta (apt-get install ffmpeg flvmeta)")
    )
    func realStream() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "flv-interop-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("source.flv")
        let generate = try Self.run(
            "ffmpeg",
            [
                "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i", "sine",
                "-c:v", "libx264", "-g", "50", "-c:a", "aac", "-t", "6", "-y", source.path,
            ]
        )
        try #require(generate.status == 0, "\(generate.output)")

        // Read the source as a publisher's tags on a timeline.
        let bytes = ByteBuffer(bytes: try Data(contentsOf: source))
        let tags = try decodeFLV(bytes).compactMap { element -> FLVMediaTag? in
            guard case .tag(let tag) = element else { return nil }
            return FLVMediaTag(type: tag.type, timestamp: Int64(tag.timestamp), data: tag.data)
        }
        #expect(tags.first?.isMetadata == true)
        #expect(tags.filter(\.isKeyframe).count == 3)

        // Cut at a 2.5 s ceiling: keyframes every 2 s give fragments starting at 0, 2 and 4 s.
        let limit = Duration.milliseconds(2500)
        var policy = FragmentPolicy(configuration: .init(maximumFragmentDuration: limit))
        var writer = FLVFragmentWriter(configuration: .init(maximumDuration: limit))
        var files: [ByteBuffer] = []
        var unfinishedFiles: [ByteBuffer] = []
        var current = ByteBuffer()
        func run(_ actions: [FragmentPolicy.Action]) {
            for action in actions {
                switch action {
                case .openFragment(let start), .cutFragment(_, let start):
                    if case .cutFragment = action { finish() }
                    writer = FLVFragmentWriter(configuration: .init(maximumDuration: limit))
                    current = writer.open(metadata: start.metadata, sequenceHeaders: start.sequenceHeaders)
                case .writeTags(let tags):
                    for tag in tags { writer.write(tag, into: &current) }
                case .closeFragment:
                    finish()
                }
            }
        }
        func finish() {
            let completion = writer.close()
            unfinishedFiles.append(current)
            current.setBuffer(completion.bytes, at: completion.offset)
            files.append(current)
        }
        run(policy.taskDidStart())
        run(policy.publisherDidStart())
        for tag in tags { run(policy.mediaTagDidArrive(tag)) }
        run(policy.taskDidEnd())
        #expect(files.count == 3)

        var total = 0.0
        for (index, file) in files.enumerated() {
            try checkMetadata(file)
            let url = directory.appendingPathComponent("fragment\(index).flv")
            try Data(file.readableBytesView).write(to: url)
            let duration = try Self.validate(url)
            #expect(duration <= 2.5 + 0.05, "fragment \(index) lasts \(duration) s")
            total += duration
        }
        #expect(abs(total - 6) < 0.3, "fragments add up to \(total) s")

        // The whole source as one fragment of a default writer (30 minutes reserved, so tens
        // of kilobytes of padding).
        var whole = FLVFragmentWriter()
        var wholeFile = whole.open(metadata: tags.first, sequenceHeaders: tags.filter(\.isSequenceHeader))
        for tag in tags.dropFirst() where !tag.isSequenceHeader { whole.write(tag, into: &wholeFile) }
        let wholeCompletion = whole.close()
        wholeFile.setBuffer(wholeCompletion.bytes, at: wholeCompletion.offset)
        try checkMetadata(wholeFile)
        let wholeURL = directory.appendingPathComponent("whole.flv")
        try Data(wholeFile.readableBytesView).write(to: wholeURL)
        #expect(abs(try Self.validate(wholeURL) - 6) < 0.3)

        // A crash mid-write of fragment 1, its metadata never completed: cut around every tag
        // boundary, the repair keeps exactly the complete tags and indexes them.
        let unfinished = unfinishedFiles[1]
        let boundaries = try tagsWithPositions(unfinished).map { $0.position + $0.tag.encodedLength }
        let cuts = boundaries.flatMap { [$0 - 1, $0, $0 + 1] }.filter {
            (boundaries[0]...unfinished.readableBytes).contains($0)
        }
        for cut in cuts {
            var repair = FLVRepair()
            var prefix = unfinished.getSlice(at: 0, length: cut)!
            repair.consume(&prefix)
            let result = try repair.finish()
            #expect(result.length == boundaries.last { $0 <= cut })
            var repaired = unfinished.getSlice(at: 0, length: result.length)!
            repaired.setBuffer(result.bytes, at: result.offset)
            try checkMetadata(repaired)
            if cut == unfinished.readableBytes {
                #expect(repaired == files[1])
            }
        }

        // One such repair, checked by the tools.
        var repair = FLVRepair()
        var prefix = unfinished.getSlice(at: 0, length: unfinished.readableBytes * 2 / 3 + 3)!
        repair.consume(&prefix)
        let result = try repair.finish()
        var repaired = unfinished.getSlice(at: 0, length: result.length)!
        repaired.setBuffer(result.bytes, at: result.offset)
        let url = directory.appendingPathComponent("repaired.flv")
        try Data(repaired.readableBytesView).write(to: url)
        let duration = try Self.validate(url)
        #expect(duration > 0.5 && duration < 2.5)
    }
}
