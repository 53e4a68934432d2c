import AMF
import NIOCore
import Testing

@testable import FLV

@Suite("FLVFragmentCheck")
struct FLVFragmentCheckTests {
    /// 1.6 s of 25 fps video with a keyframe every 0.5 s, and audio: four keyframes.
    static let fragment = WrittenFragment(
        tags: Synthetic.Stream(start: 5_000, fps: 25, gop: 500, audioInterval: 46).tags(until: 6_600)
    )

    static func check(_ file: ByteBuffer, chunkSize: Int = 4096) -> FLVFragmentCheck.Report {
        var check = FLVFragmentCheck()
        var remaining = file
        while let chunk = remaining.readSlice(length: min(chunkSize, remaining.readableBytes)), chunk.readableBytes > 0
        {
            check.consume(chunk)
        }
        return check.finish()
    }

    /// The codes of a report's findings.
    static func codes(_ report: FLVFragmentCheck.Report) -> [FLVFragmentCheck.Finding.Code] {
        report.findings.map(\.code)
    }

    @Test("a fragment written by FLVFragmentWriter passes, whatever the chunk size", arguments: [1, 7, 4096, Int.max])
    func goodFragment(chunkSize: Int) throws {
        let file = Self.fragment.finished
        let report = Self.check(file, chunkSize: chunkSize)
        #expect(report.findings == [])
        #expect(report.isValid)
        let tags = try tagsWithPositions(file)
        #expect(report.tagCount == tags.count)
        #expect(report.videoTags == tags.filter { $0.tag.type == .video }.count)
        #expect(report.audioTags == tags.filter { $0.tag.type == .audio }.count)
        #expect(report.scriptTags == 1)
        #expect(report.fileSize == file.readableBytes)
        #expect(report.keyframes == Self.fragment.completion.keyframeCount)
        #expect(report.keyframes == 4)
        let keyframes = tags.filter {
            $0.tag.type == .video && (try? FLVVideoTagHeader(parsing: $0.tag.data))?.isKeyframe == true
        }
        #expect(report.index.map(\.position) == keyframes.map(\.position))
        #expect(report.index.map(\.time) == keyframes.map { Double($0.tag.timestamp) / 1000 })
        let byPosition = Dictionary(uniqueKeysWithValues: tags.map { ($0.position, $0.tag) })
        for entry in report.index {
            #expect(byPosition[entry.position]?.type == .video)
        }
        #expect(report.metadata?["width"] == .number(1280))
        #expect(report.metadata?["duration"] == .number(Double(report.lastTimestamp) / 1000))
        #expect(report.header == FLVHeader(hasAudio: true, hasVideo: true))
    }

    @Test("a fragment cut short is truncated")
    func truncated() throws {
        let file = Self.fragment.finished
        let report = Self.check(file.getSlice(at: 0, length: file.readableBytes - 5)!)
        let lastTag = try #require(try tagsWithPositions(file).last)
        #expect(report.findings.first { $0.code == .truncated }?.position == lastTag.position)
        #expect(Self.codes(report).contains(.fileSizeMismatch))
        #expect(!report.isValid)
    }

    @Test("a bad PreviousTagSize stops the check at its tag")
    func badPreviousTagSize() throws {
        var file = Self.fragment.finished
        let tags = try tagsWithPositions(file)
        let (position, tag) = tags[10]
        file.setInteger(UInt32(tag.encodedLength), at: position + tag.encodedLength - 4)
        let report = Self.check(file)
        #expect(Self.codes(report) == [.malformed])
        #expect(report.findings.first?.position == position)
        #expect(report.findings.first?.message.contains("PreviousTagSize") == true)
    }

    @Test("an index entry pointing at an inter frame is not a keyframe")
    func indexAtNonKeyframe() throws {
        var file = Self.fragment.finished
        let tags = try tagsWithPositions(file)
        let interFrame = try #require(
            tags.first {
                $0.tag.type == .video && (try? FLVVideoTagHeader(parsing: $0.tag.data))?.frameType == .interFrame
            }
        )
        try Self.setIndexPosition(1, to: interFrame.position, in: &file)
        let report = Self.check(file)
        #expect(Self.codes(report).contains(.indexEntryNotAKeyframe))
        #expect(report.findings.first { $0.code == .indexEntryNotAKeyframe }?.position == interFrame.position)
        #expect(Set(Self.codes(report)).isSubset(of: [.indexEntryNotAKeyframe, .indexEntryTimeMismatch]))
    }

    @Test("an index entry pointing inside a tag points at no tag")
    func indexInsideATag() throws {
        var file = Self.fragment.finished
        let index = Self.check(file).index
        try Self.setIndexPosition(2, to: index[2].position + 1, in: &file)
        let report = Self.check(file)
        #expect(Self.codes(report) == [.indexEntryNotATag])
        #expect(report.findings.first?.position == index[2].position + 1)
    }

    @Test("an index entry whose time is not its tag's is found")
    func indexTimeMismatch() throws {
        var file = Self.fragment.finished
        try Self.setNumber(after: "times", entry: 1, to: 0.75, in: &file)
        #expect(Self.codes(Self.check(file)) == [.indexEntryTimeMismatch])
    }

    @Test("a wrong filesize is found")
    func wrongFileSize() throws {
        var file = Self.fragment.finished
        try Self.setNumber(after: "filesize", to: Double(file.readableBytes + 1), in: &file)
        let report = Self.check(file)
        #expect(Self.codes(report) == [.fileSizeMismatch])
        #expect(report.findings.first?.message.contains("\(file.readableBytes + 1)") == true)
    }

    @Test("a wrong duration is found")
    func wrongDuration() throws {
        var file = Self.fragment.finished
        try Self.setNumber(after: "duration", to: 99, in: &file)
        #expect(Self.codes(Self.check(file)) == [.durationMismatch])
    }

    @Test("a timestamp going back is found at its tag")
    func timestampWentBack() throws {
        var file = Self.fragment.finished
        let tags = try tagsWithPositions(file)
        let audio = try #require(tags.last { $0.tag.type == .audio })
        file.setBytes([0, 0, 0, 0], at: audio.position + 4)
        let report = Self.check(file)
        #expect(Self.codes(report).contains(.timestampWentBack))
        #expect(report.findings.first { $0.code == .timestampWentBack }?.position == audio.position)
    }

    @Test("a file whose first tag is not onMetaData has no metadata")
    func noMetadata() {
        var file = ByteBuffer()
        file.writeFLVHeader(FLVHeader(hasAudio: false, hasVideo: true))
        file.writeFLVTag(FLVTag(type: .video, timestamp: 0, data: Synthetic.videoSequenceHeader()))
        let report = Self.check(file)
        #expect(Self.codes(report) == [.missingMetadata])
        #expect(report.metadata == nil)
    }

    @Test("bytes that are not FLV are malformed", arguments: ["", "not an FLV file at all"])
    func notFLV(text: String) {
        let report = Self.check(ByteBuffer(string: text))
        #expect(!report.isValid)
        #expect(Self.codes(report).contains(text.isEmpty ? .truncated : .malformed))
    }

    @Test("findings past the per-code maximum are counted, not listed")
    func findingsAreBounded() throws {
        var file = Self.fragment.finished
        for (position, tag) in try tagsWithPositions(file).dropFirst(3) where tag.type == .audio {
            file.setBytes([0, 0, 0, 0], at: position + 4)
        }
        let report = Self.check(file)
        let listed = report.findings.filter { $0.code == .timestampWentBack }.count
        #expect(listed == FLVFragmentCheck.maximumFindingsPerCode)
        #expect(report.omittedFindings > 0)
    }

    // MARK: Editing the metadata in place (AMF0 numbers are 9 bytes, so sizes do not change)

    /// The offset just after the AMF0 property name `name` in the metadata tag.
    static func offset(after name: String, in file: ByteBuffer) throws -> Int {
        var key = ByteBuffer()
        key.writeInteger(UInt16(name.utf8.count))
        key.writeString(name)
        let bytes = Array(file.readableBytesView.prefix(70_000))
        let needle = Array(key.readableBytesView)
        let start = try #require(
            (0...(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle },
            "no property \(name)"
        )
        return start + needle.count
    }

    /// Sets the number of property `name`, or entry `entry` of the strict array `name`.
    static func setNumber(after name: String, entry: Int? = nil, to value: Double, in file: inout ByteBuffer) throws {
        var at = try offset(after: name, in: file)
        if let entry {
            #expect(file.getInteger(at: at, as: UInt8.self) == 0x0A)
            at += 1 + 4 + entry * 9
        }
        #expect(file.getInteger(at: at, as: UInt8.self) == 0x00)
        file.setInteger(value.bitPattern, at: at + 1)
    }

    static func setIndexPosition(_ entry: Int, to position: Int, in file: inout ByteBuffer) throws {
        try setNumber(after: "filepositions", entry: entry, to: Double(position), in: &file)
    }
}
