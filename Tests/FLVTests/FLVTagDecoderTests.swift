import NIOCore
import Testing

@testable import FLV

/// Runs ``FLVTagDecoder`` over `bytes` fed in chunks of `chunkSize`, as a pipeline would.
func decodeFLV(
    _ bytes: ByteBuffer,
    chunkSize: Int = .max,
    limits: FLVDecodingLimits = .default
) throws -> [FLVTagDecoder.Element] {
    let processor = NIOSingleStepByteToMessageProcessor(FLVTagDecoder(limits: limits))
    var elements: [FLVTagDecoder.Element] = []
    var remaining = bytes
    while remaining.readableBytes > 0 {
        let chunk = remaining.readSlice(length: min(chunkSize, remaining.readableBytes))!
        try processor.process(buffer: chunk) { elements.append($0) }
    }
    try processor.finishProcessing(seenEOF: true) { elements.append($0) }
    return elements
}

@Suite("FLVTagDecoder")
struct FLVTagDecoderTests {
    static let tags = [
        FLVTag(type: .scriptData, timestamp: 0, data: ByteBuffer(bytes: [0x02, 0x00, 0x00])),
        FLVTag(type: .video, timestamp: 0, data: Synthetic.videoSequenceHeader()),
        FLVTag(type: .audio, timestamp: 0x00AB_CDEF, data: Synthetic.audioSequenceHeader()),
        FLVTag(type: .video, timestamp: 0xFF00_0001, data: Synthetic.videoFrame(keyframe: true, serial: 7)),
        FLVTag(type: .audio, timestamp: 0x1234_5678, isFiltered: true, data: ByteBuffer()),
    ]

    static var file: ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeFLVHeader(FLVHeader(hasAudio: true, hasVideo: true))
        for tag in tags { buffer.writeFLVTag(tag) }
        return buffer
    }

    @Test("writer and reader round-trip, in chunks of any size", arguments: [1, 2, 3, 7, 11, 64, Int.max])
    func roundTrip(chunkSize: Int) throws {
        let elements = try decodeFLV(Self.file, chunkSize: chunkSize)
        #expect(
            elements == [.header(FLVHeader(hasAudio: true, hasVideo: true))] + Self.tags.map(FLVTagDecoder.Element.tag)
        )
    }

    @Test("the wire layout follows Annex E")
    func layout() {
        var buffer = ByteBuffer()
        buffer.writeFLVHeader(FLVHeader(hasAudio: true, hasVideo: false))
        buffer.writeFLVTag(FLVTag(type: .video, timestamp: 0x0102_0304, data: ByteBuffer(bytes: [0xAA])))
        #expect(
            buffer
                == ByteBuffer(bytes: [
                    0x46, 0x4C, 0x56, 0x01, 0x04, 0, 0, 0, 9, 0, 0, 0, 0,
                    0x09, 0, 0, 1, 0x02, 0x03, 0x04, 0x01, 0, 0, 0, 0xAA, 0, 0, 0, 12,
                ])
        )
    }

    @Test("short input consumes nothing and returns nil")
    func shortInput() throws {
        let file = Self.file
        var decoder = FLVTagDecoder()
        for length in [0, 4, 12] {
            var prefix = file.getSlice(at: 0, length: length)!
            #expect(try decoder.decode(buffer: &prefix) == nil)
            #expect(prefix.readableBytes == length)
        }
        // The header, then the first tag short of the last byte of its PreviousTagSize.
        var header = file.getSlice(at: 0, length: 13 + 17)!
        #expect(try decoder.decode(buffer: &header) != nil)
        #expect(try decoder.decode(buffer: &header) == nil)
        #expect(header.readableBytes == 17)
    }

    @Test(
        "malformed input throws its code",
        arguments: [
            (0, 0x47, FLVDecodingError.Code.invalidSignature),
            (3, 0x02, .unsupportedVersion),
            (8, 0x08, .invalidHeaderSize),
            (12, 0x01, .previousTagSizeMismatch),
            (13, 0x07, .invalidTagType),
            (13, 0x52, .invalidTagType),
            (23, 0x01, .nonZeroStreamID),
            (13 + 11 + 3 + 3, 0x00, .previousTagSizeMismatch),
        ]
    )
    func malformed(offset: Int, byte: UInt8, code: FLVDecodingError.Code) {
        var file = Self.file
        file.setInteger(byte, at: offset)
        #expect {
            _ = try decodeFLV(file)
        } throws: { ($0 as? FLVDecodingError)?.code == code }
    }

    @Test("tag and header sizes are limited")
    func limits() throws {
        let limits = FLVDecodingLimits(maximumTagDataSize: 5, maximumHeaderSize: 9)
        #expect {
            _ = try decodeFLV(Self.file, limits: limits)
        } throws: { ($0 as? FLVDecodingError)?.code == .tagTooLarge }
        // A larger DataOffset is skipped when allowed.
        var header = ByteBuffer(bytes: [0x46, 0x4C, 0x56, 0x01, 0x05, 0, 0, 0, 12, 0xEE, 0xEE, 0xEE, 0, 0, 0, 0])
        header.writeFLVTag(Self.tags[1])
        #expect(try decodeFLV(header).count == 2)
        #expect {
            _ = try decodeFLV(header, limits: limits)
        } throws: { ($0 as? FLVDecodingError)?.code == .invalidHeaderSize }
    }
}
