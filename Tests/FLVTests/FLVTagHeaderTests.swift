import NIOCore
import Testing

@testable import FLV

@Suite("Audio and video tag headers")
struct FLVTagHeaderTests {
    typealias Video = FLVVideoTagHeader

    @Test("legacy AVC: sequence header, NALU with negative composition time, end of sequence")
    func legacyAVC() throws {
        let sequence = try Video(parsing: ByteBuffer(bytes: [0x17, 0x00, 0x00, 0x00, 0x00, 0x01]))
        #expect(sequence.codec == .avc && sequence.isSequenceHeader && !sequence.isKeyframe)
        let keyframe = try Video(parsing: ByteBuffer(bytes: [0x17, 0x01, 0xFF, 0xFF, 0xD8, 0x00]))
        #expect(keyframe.isKeyframe && keyframe.compositionTime == -40 && keyframe.length == 5)
        let inter = try Video(parsing: ByteBuffer(bytes: [0x27, 0x01, 0x00, 0x00, 0x50]))
        #expect(!inter.isKeyframe && inter.frameType == .interFrame && inter.compositionTime == 80)
        let end = try Video(parsing: ByteBuffer(bytes: [0x17, 0x02, 0x00, 0x00, 0x00]))
        #expect(end.packetType == .sequenceEnd && !end.isKeyframe && !end.isSequenceHeader)
    }

    @Test("legacy codec id 12 is HEVC with AVC-style packet types")
    func legacyHEVC() throws {
        let sequence = try Video(parsing: ByteBuffer(bytes: [0x1C, 0x00, 0x00, 0x00, 0x00]))
        #expect(sequence.codec == .legacyHEVC && sequence.isSequenceHeader)
        #expect(try Video(parsing: ByteBuffer(bytes: [0x1C, 0x01, 0x00, 0x00, 0x00])).isKeyframe)
    }

    @Test("legacy codecs without packet types: keyframe from the frame type")
    func legacyOther() throws {
        let vp6 = try Video(parsing: ByteBuffer(bytes: [0x14, 0x00]))
        #expect(vp6.codec == .legacy(4) && vp6.isKeyframe && vp6.length == 1)
        let info = try Video(parsing: ByteBuffer(bytes: [0x52, 0x00]))
        #expect(info.frameType == .command && !info.isKeyframe)
    }

    @Test(
        "enhanced RTMP packet types for every FourCC",
        arguments: [FLVFourCC.hvc1, .av01, .vp09, .avc1]
    )
    func enhanced(fourCC: FLVFourCC) throws {
        func body(_ first: UInt8, _ extra: [UInt8] = [0x00, 0x00, 0x10]) -> ByteBuffer {
            var buffer = ByteBuffer(bytes: [first])
            buffer.writeInteger(fourCC.rawValue)
            buffer.writeBytes(extra)
            return buffer
        }
        let start = try Video(parsing: body(0x90))
        #expect(start.codec == .fourCC(fourCC) && start.isSequenceHeader && !start.isKeyframe)
        let coded = try Video(parsing: body(0x91))
        #expect(coded.isKeyframe && coded.packetType == .codedFrames)
        let hasCompositionTime = fourCC == .hvc1 || fourCC == .avc1
        #expect(coded.compositionTime == (hasCompositionTime ? 16 : 0))
        #expect(coded.length == (hasCompositionTime ? 8 : 5))
        let codedX = try Video(parsing: body(0x93))
        #expect(codedX.isKeyframe && codedX.compositionTime == 0 && codedX.length == 5)
        let inter = try Video(parsing: body(0xA3))
        #expect(!inter.isKeyframe && inter.frameType == .interFrame)
        #expect(try Video(parsing: body(0x92)).packetType == .sequenceEnd)
        #expect(try Video(parsing: body(0x94)).packetType == .metadata)
        let ts = try Video(parsing: body(0x95))
        #expect(ts.packetType == .mpeg2TSSequenceStart && ts.isSequenceHeader)
        #expect(Video.Codec.fourCC(fourCC).metadataCodecID == Double(fourCC.rawValue))
    }

    @Test("enhanced command frames, multitrack and ModEx carry no FourCC")
    func enhancedWithoutFourCC() throws {
        let command = try Video(parsing: ByteBuffer(bytes: [0xD1, 0x00]))
        #expect(command.frameType == .command && command.codec == nil && !command.isKeyframe)
        #expect(try Video(parsing: ByteBuffer(bytes: [0x96, 0x00])).packetType == .extended)
        #expect(try Video(parsing: ByteBuffer(bytes: [0x97])).codec == nil)
    }

    @Test(
        "malformed video headers throw",
        arguments: [
            [], [0x17], [0x17, 0x01, 0x00], [0x17, 0x03, 0, 0, 0], [0x08], [0x90, 0x68], [0x98, 0, 0, 0, 0],
            [0x91, 0x68, 0x76, 0x63, 0x31],
        ] as [[UInt8]]
    )
    func malformedVideo(bytes: [UInt8]) {
        #expect(throws: FLVDecodingError.self) { try Video(parsing: ByteBuffer(bytes: bytes)) }
    }

    @Test("audio: AAC sequence header and raw, MP3, enhanced Opus")
    func audio() throws {
        let aacConfig = try FLVAudioTagHeader(parsing: ByteBuffer(bytes: [0xAF, 0x00, 0x12, 0x10]))
        #expect(aacConfig.codec == .aac && aacConfig.isSequenceHeader && aacConfig.isStereo && aacConfig.is16Bit)
        #expect(aacConfig.soundRate == 3 && aacConfig.length == 2)
        #expect(try !FLVAudioTagHeader(parsing: ByteBuffer(bytes: [0xAF, 0x01, 0x21])).isSequenceHeader)
        let mp3 = try FLVAudioTagHeader(parsing: ByteBuffer(bytes: [0x2E, 0xFF]))
        #expect(mp3.codec == .legacy(2) && !mp3.isSequenceHeader && !mp3.isStereo && mp3.length == 1)
        var opus = ByteBuffer(bytes: [0x90])
        opus.writeInteger(FLVFourCC.opus.rawValue)
        let opusHeader = try FLVAudioTagHeader(parsing: opus)
        #expect(opusHeader.codec == .fourCC(.opus) && opusHeader.isSequenceHeader && opusHeader.length == 5)
        #expect(FLVFourCC.opus.description == "Opus")
    }

    @Test(
        "malformed audio headers throw",
        arguments: [[], [0xAF], [0xAF, 0x02], [0x91, 0x4F], [0x9F, 0, 0, 0, 0]] as [[UInt8]]
    )
    func malformedAudio(bytes: [UInt8]) {
        #expect(throws: FLVDecodingError.self) { try FLVAudioTagHeader(parsing: ByteBuffer(bytes: bytes)) }
    }
}
