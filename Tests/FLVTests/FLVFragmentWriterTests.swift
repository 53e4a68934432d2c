import AMF
import NIOCore
import Testing

@testable import FLV

@Suite("FLVFragmentWriter")
struct FLVFragmentWriterTests {
    static let stream = Synthetic.Stream(start: 90_000, fps: 25, gop: 1000, audioInterval: 23).tags(until: 97_000)

    @Test("onMetaData round-trip: every field decoded with AMF")
    func metadataRoundTrip() throws {
        let fragment = WrittenFragment(tags: Self.stream)
        let object = try onMetaData(fragment.finished)
        let tags = try tagsWithPositions(fragment.finished)
        let keyframes = tags.filter {
            $0.tag.type == .video && $0.tag.data.getInteger(at: $0.tag.data.readerIndex, as: UInt8.self) == 0x17
                && $0.tag.data.getInteger(at: $0.tag.data.readerIndex + 1, as: UInt8.self) == 1
        }
        let last = Double(tags.map(\.tag.timestamp).max()!) / 1000

        #expect(
            object.properties.map(\.name) == [
                "duration", "width", "height", "framerate", "videodatarate", "audiosamplerate", "stereo", "encoder",
                "videocodecid", "audiocodecid", "filesize", "hasVideo", "hasAudio", "hasMetadata", "hasKeyframes",
                "lasttimestamp", "lastkeyframetimestamp", "keyframes", "padding",
            ]
        )
        #expect(object["duration"] == .number(last))
        #expect(object["width"] == .number(1280))
        #expect(object["height"] == .number(720))
        #expect(object["framerate"] == .number(25))
        #expect(object["videodatarate"] == .number(2500))
        #expect(object["audiosamplerate"] == .number(44100))
        #expect(object["stereo"] == .boolean(true))
        #expect(object["encoder"] == .string("synthetic"))
        #expect(object["videocodecid"] == .number(7))
        #expect(object["audiocodecid"] == .number(10))
        #expect(object["filesize"] == .number(Double(fragment.finished.readableBytes)))
        #expect(object["hasVideo"] == .boolean(true))
        #expect(object["hasAudio"] == .boolean(true))
        #expect(object["hasMetadata"] == .boolean(true))
        #expect(object["hasKeyframes"] == .boolean(true))
        #expect(object["lasttimestamp"] == .number(last))
        #expect(object["lastkeyframetimestamp"] == .number(Double(keyframes.last!.tag.timestamp) / 1000))
        #expect(
            object["keyframes"]
                == .object([
                    "times": .strictArray(keyframes.map { .number(Double($0.tag.timestamp) / 1000) }),
                    "filepositions": .strictArray(keyframes.map { .number(Double($0.position)) }),
                ])
        )
        try checkMetadata(fragment.finished)
        #expect(fragment.completion.fileSize == fragment.finished.readableBytes)
        #expect(fragment.completion.keyframeCount == 7)
        #expect(fragment.completion.duration == .milliseconds(Int64(last * 1000)))
    }

    @Test(
        "the completion overwrites exactly the reserved bytes; the file starts with header, metadata, sequence headers"
    )
    func inPlaceCompletion() throws {
        let fragment = WrittenFragment(tags: Self.stream)
        #expect(fragment.completion.offset == 0)
        #expect(fragment.unfinished.readableBytes == fragment.finished.readableBytes)
        let unfinishedTags = try tagsWithPositions(fragment.unfinished)
        let finishedTags = try tagsWithPositions(fragment.finished)
        #expect(fragment.completion.bytes.readableBytes == unfinishedTags[1].position)
        #expect(unfinishedTags.dropFirst().map(\.tag) == finishedTags.dropFirst().map(\.tag))
        #expect(finishedTags.prefix(3).map(\.tag.type) == [.scriptData, .video, .audio])
        #expect(finishedTags.prefix(3).allSatisfy { $0.tag.timestamp == 0 })
        // The unfinished file is already valid FLV with an empty index.
        let unfinished = try onMetaData(fragment.unfinished)
        #expect(unfinished["duration"] == .number(0))
        #expect(try decodeFLV(fragment.finished).first == .header(FLVHeader(hasAudio: true, hasVideo: true)))
    }

    @Test("the reserved size does not depend on the tags")
    func deterministicSize() {
        let sizes = [0, 1, 5, 40].map { seconds in
            WrittenFragment(tags: Array(Self.stream.prefix(seconds * 68))).completion.bytes.readableBytes
        }
        #expect(Set(sizes).count == 1)
        let audioOnly = WrittenFragment(tags: Self.stream.filter { $0.type == .audio }, sequenceHeaders: [])
        #expect(audioOnly.completion.bytes.readableBytes == sizes[0])
    }

    @Test("timestamps are rebased to 0 and clamped monotonic")
    func rebaseAndClamp() throws {
        let tags = [1_000_000, 1_000_040, 1_000_020, 999_000, 1_000_080].enumerated().map { index, time in
            FLVMediaTag(
                type: .video,
                timestamp: Int64(time),
                data: Synthetic.videoFrame(keyframe: index == 0, serial: index)
            )
        }
        let fragment = WrittenFragment(tags: tags)
        let times = try tagsWithPositions(fragment.finished).dropFirst(3).map(\.tag.timestamp)
        #expect(times == [0, 40, 40, 40, 80])
        try checkMetadata(fragment.finished)
    }

    @Test("a mid-fragment sequence header keeps its place and timestamp")
    func midFragmentHeader() throws {
        var tags = Array(Self.stream.prefix(50))
        tags.insert(
            FLVMediaTag(type: .video, timestamp: tags[20].timestamp, data: Synthetic.videoSequenceHeader(2)),
            at: 21
        )
        let fragment = WrittenFragment(tags: tags)
        let written = try tagsWithPositions(fragment.finished).dropFirst(3).map(\.tag)
        #expect(written[21].data == Synthetic.videoSequenceHeader(2))
        #expect(Int64(written[21].timestamp) == tags[20].timestamp - tags[0].timestamp)
    }

    @Test("keyframes beyond the capacity are subsampled evenly from the first")
    func subsampling() throws {
        let configuration = FLVFragmentWriter.Configuration(
            maximumDuration: .seconds(10),
            minimumKeyframeInterval: .seconds(1)
        )
        #expect(configuration.keyframeCapacity == 11)
        let tags = Synthetic.Stream(fps: 25, gop: 40, audioInterval: nil).tags(until: 4_000)
        let fragment = WrittenFragment(tags: tags, configuration: configuration)
        try checkMetadata(fragment.finished)
        guard case .object(let keyframes) = try onMetaData(fragment.finished)["keyframes"],
            case .strictArray(let times) = keyframes["times"]
        else { throw FLVDecodingError(.missingMetadata) }
        // 100 keyframes into 11 slots: stride 16 keeps 0, 0.64, 1.28, ... 3.84.
        #expect(times == stride(from: 0, to: 100, by: 16).map { .number(Double($0) * 0.04) })
        #expect(fragment.completion.keyframeCount == 100)
    }

    @Test("keyframe capacity follows the configuration, within bounds")
    func capacity() throws {
        #expect(FLVFragmentWriter.Configuration().keyframeCapacity == 1801)
        #expect(FLVFragmentWriter.Configuration(minimumKeyframeInterval: .milliseconds(400)).keyframeCapacity == 3600)
        #expect(FLVFragmentWriter.Configuration(maximumDuration: .milliseconds(1)).keyframeCapacity == 2)
        let largest = FLVFragmentWriter.Configuration(
            maximumDuration: .seconds(7200),
            minimumKeyframeInterval: .milliseconds(1)
        )
        #expect(largest.keyframeCapacity == FLVFragmentWriter.Configuration.maximumKeyframeCapacity)
        let fragment = WrittenFragment(tags: Array(Self.stream.prefix(10)), configuration: largest)
        #expect(fragment.completion.bytes.readableBytes < FLVHeader.encodedLength + 11 + 4 + 66_000)
        try checkMetadata(fragment.finished)
    }

    @Test("padding is an array of strings FFmpeg can read: none over 255 bytes, any size reachable")
    func paddingStrings() throws {
        let empty = AMF0Value.strictArray([.string("")])
        var base = ByteBuffer()
        base.writeAMF0Value(empty)
        for extra in [0, 1, 2, 3, 254, 255, 256, 257, 258, 259, 515, 516, 1000, 64_000] {
            let strings = FLVOnMetaData.paddingStrings(growingBy: extra)
            #expect(strings.allSatisfy { $0.utf8.count <= 255 && $0.allSatisfy { $0 == " " } })
            var encoded = ByteBuffer()
            encoded.writeAMF0Value(.strictArray(strings.map(AMF0Value.string)))
            #expect(encoded.readableBytes == base.readableBytes + extra, "extra \(extra)")
        }
        // A default (30 minute) fragment with a few keyframes pads tens of kilobytes.
        let fragment = WrittenFragment(tags: Array(Self.stream.prefix(100)), configuration: .init())
        guard case .strictArray(let padding) = try onMetaData(fragment.finished)["padding"] else {
            throw FLVDecodingError(.missingMetadata)
        }
        #expect(padding.count > 100)
        #expect(padding.allSatisfy { if case .string(let s) = $0 { s.utf8.count <= 255 } else { false } })
    }

    @Test("without publisher metadata or audio the fields are left out")
    func minimal() throws {
        let tags = Synthetic.Stream(fps: 25, gop: 1000, audioInterval: nil).tags(until: 3_000)
        let fragment = WrittenFragment(tags: tags, metadata: nil, sequenceHeaders: [Synthetic.headers(audio: false)[1]])
        let object = try onMetaData(fragment.finished)
        #expect(object["width"] == nil && object["audiocodecid"] == nil)
        #expect(object["hasAudio"] == .boolean(false) && object["hasVideo"] == .boolean(true))
        #expect(try decodeFLV(fragment.finished).first == .header(FLVHeader(hasAudio: false, hasVideo: true)))
        try checkMetadata(fragment.finished)
    }
}
