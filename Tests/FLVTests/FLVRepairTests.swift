import NIOCore
import Testing

@testable import FLV

@Suite("FLVRepair")
struct FLVRepairTests {
    static let fragment = WrittenFragment(
        tags: Synthetic.Stream(start: 5_000, fps: 25, gop: 500, audioInterval: 46).tags(until: 6_600)
    )

    @Test("repair at every truncation point keeps every complete tag", arguments: [false, true])
    func everyTruncationPoint(finished: Bool) throws {
        let file = finished ? Self.fragment.finished : Self.fragment.unfinished
        let tags = try tagsWithPositions(file)
        let boundaries = tags.map { $0.position + $0.tag.encodedLength }
        let metadataEnd = boundaries[0]
        for cut in 0...file.readableBytes {
            var repair = FLVRepair()
            var prefix = file.getSlice(at: 0, length: cut)!
            repair.consume(&prefix)
            guard cut >= metadataEnd else {
                #expect(throws: FLVDecodingError.self) { try repair.finish() }
                continue
            }
            let result = try repair.finish()
            let kept = boundaries.last { $0 <= cut }!
            #expect(result.length == kept)
            #expect(result.tagCount == boundaries.filter { $0 <= cut }.count - 1)
            var repaired = file.getSlice(at: 0, length: result.length)!
            repaired.setBuffer(result.bytes, at: result.offset)
            try checkMetadata(repaired)
            if cut == file.readableBytes {
                #expect(repaired == Self.fragment.finished)
            }
        }
    }

    @Test("bytes may arrive in chunks", arguments: [1, 5, 64])
    func chunks(size: Int) throws {
        var repair = FLVRepair()
        var pending = ByteBuffer()
        var file = Self.fragment.unfinished
        while let chunk = file.readSlice(length: min(size, file.readableBytes)), chunk.readableBytes > 0 {
            pending.writeImmutableBuffer(chunk)
            repair.consume(&pending)
            pending.discardReadBytes()
        }
        let result = try repair.finish()
        #expect(result.length == Self.fragment.finished.readableBytes)
        #expect(result.bytes == Self.fragment.completion.bytes)
        #expect(result.duration == Self.fragment.completion.duration)
    }

    @Test("garbage after the last complete tag is cut off")
    func trailingGarbage() throws {
        var file = Self.fragment.unfinished
        file.writeBytes([0x09, 0x00, 0x00, 0x05, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 0, 0, 0, 99])
        file.writeRepeatingByte(0, count: 100)
        var repair = FLVRepair()
        repair.consume(&file)
        #expect(try repair.finish().length == Self.fragment.finished.readableBytes)
    }

    @Test("a file that is not a fragment cannot be repaired")
    func notAFragment() {
        var notFLV = ByteBuffer(string: "not an FLV file at all")
        var repair = FLVRepair()
        repair.consume(&notFLV)
        #expect { try repair.finish() } throws: { ($0 as? FLVDecodingError)?.code == .invalidSignature }

        var noMetadata = ByteBuffer()
        noMetadata.writeFLVHeader(FLVHeader(hasAudio: false, hasVideo: true))
        noMetadata.writeFLVTag(FLVTag(type: .video, timestamp: 0, data: Synthetic.videoSequenceHeader()))
        repair = FLVRepair()
        repair.consume(&noMetadata)
        #expect { try repair.finish() } throws: { ($0 as? FLVDecodingError)?.code == .missingMetadata }
    }
}
