import AMF
import NIOCore
import Testing

@testable import FLV

/// A fragment written by ``FLVFragmentWriter``, before and after its completion is applied.
struct WrittenFragment {
    var unfinished: ByteBuffer
    var finished: ByteBuffer
    var completion: FLVFragmentWriter.Completion

    init(
        tags: [FLVMediaTag],
        metadata: FLVMediaTag? = Synthetic.metadata(),
        sequenceHeaders: [FLVMediaTag] = Array(Synthetic.headers().dropFirst()),
        configuration: FLVFragmentWriter.Configuration = .init(maximumDuration: .seconds(10))
    ) {
        var writer = FLVFragmentWriter(configuration: configuration)
        var file = writer.open(metadata: metadata, sequenceHeaders: sequenceHeaders)
        file.writeImmutableBuffer(writer.write(tags))
        unfinished = file
        completion = writer.close()
        finished = file
        finished.setBuffer(completion.bytes, at: completion.offset)
    }
}

/// The tags of an FLV file with the byte offset of each tag header.
func tagsWithPositions(_ file: ByteBuffer) throws -> [(position: Int, tag: FLVTag)] {
    var position = FLVHeader.encodedLength
    return try decodeFLV(file).compactMap { element in
        guard case .tag(let tag) = element else { return nil }
        defer { position += tag.encodedLength }
        return (position, tag)
    }
}

/// The `onMetaData` object of an FLV file's first tag.
func onMetaData(_ file: ByteBuffer) throws -> AMFObject {
    let tags = try tagsWithPositions(file)
    var body = try #require(tags.first?.tag.data)
    let values = try body.readAMF0Values()
    #expect(values.first == .string("onMetaData"))
    guard values.count == 2, case .ecmaArray(let object) = values[1] else {
        Issue.record("onMetaData is not an ECMA array: \(values)")
        return AMFObject()
    }
    return object
}

/// Checks the metadata of a finished FLV file against its tags: duration, size, keyframe index.
func checkMetadata(_ file: ByteBuffer, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let object = try onMetaData(file)
    let tags = try tagsWithPositions(file)
    let lastTimestamp = Double(tags.map(\.tag.timestamp).max() ?? 0) / 1000
    #expect(object["duration"] == .number(lastTimestamp), sourceLocation: sourceLocation)
    #expect(object["lasttimestamp"] == .number(lastTimestamp), sourceLocation: sourceLocation)
    #expect(object["filesize"] == .number(Double(file.readableBytes)), sourceLocation: sourceLocation)
    guard case .object(let keyframes) = object["keyframes"],
        case .strictArray(let times) = keyframes["times"],
        case .strictArray(let positions) = keyframes["filepositions"]
    else {
        Issue.record("no keyframes object", sourceLocation: sourceLocation)
        return
    }
    #expect(times.count == positions.count, sourceLocation: sourceLocation)
    let byPosition = Dictionary(uniqueKeysWithValues: tags.map { ($0.position, $0.tag) })
    for (time, position) in zip(times, positions) {
        guard case .number(let time) = time, case .number(let position) = position,
            let tag = byPosition[Int(position)]
        else {
            Issue.record("keyframe entry \(time) \(position) does not point at a tag", sourceLocation: sourceLocation)
            continue
        }
        #expect(
            tag.type == .video && (try? FLVVideoTagHeader(parsing: tag.data))?.isKeyframe == true,
            sourceLocation: sourceLocation
        )
        #expect(Double(tag.timestamp) / 1000 == time, sourceLocation: sourceLocation)
    }
    #expect(object["hasKeyframes"] == .boolean(!times.isEmpty), sourceLocation: sourceLocation)
}
