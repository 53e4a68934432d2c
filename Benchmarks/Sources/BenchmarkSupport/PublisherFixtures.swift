import AMF
import NIOCore

/// What a live publisher (FFmpeg, OBS) sends, built once per benchmark with the project's own
/// AMF encoder: the `connect` command, `@setDataFrame onMetaData`, the codec configuration, and
/// one second of 720p30 H.264 at about 2.5 Mbit/s with 44.1 kHz AAC at about 128 kbit/s.
public enum PublisherFixtures {
    /// The body of the `connect` command message (RTMP spec 1.0 §7.2.1.1): name, transaction
    /// ID 1 and the command object with the properties FFmpeg and OBS send.
    public static func connectCommand() -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeAMF0Value(.string("connect"))
        buffer.writeAMF0Value(.number(1))
        buffer.writeAMF0Value(
            .object([
                "app": .string("live"),
                "type": .string("nonprivate"),
                "flashVer": .string("FMLE/3.0 (compatible; Lavf61.7.100)"),
                "tcUrl": .string("rtmp://127.0.0.1:1935/live"),
                "fpad": .boolean(false),
                "capabilities": .number(15),
                "audioCodecs": .number(4071),
                "videoCodecs": .number(252),
                "videoFunction": .number(1),
                "objectEncoding": .number(0),
            ])
        )
        return buffer
    }

    /// The body of the data message FFmpeg's FLV muxer sends before media: `@setDataFrame`,
    /// `onMetaData` and an ECMA array of its properties, in FFmpeg's order.
    public static func setDataFrame() -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeAMF0Value(.string("@setDataFrame"))
        buffer.writeAMF0Value(.string("onMetaData"))
        buffer.writeAMF0Value(
            .ecmaArray([
                "duration": .number(0),
                "width": .number(1280),
                "height": .number(720),
                "videodatarate": .number(2441.40625),
                "framerate": .number(30),
                "videocodecid": .number(7),
                "audiodatarate": .number(125),
                "audiosamplerate": .number(44100),
                "audiosamplesize": .number(16),
                "stereo": .boolean(true),
                "audiocodecid": .number(10),
                "encoder": .string("Lavf61.7.100"),
                "filesize": .number(0),
            ])
        )
        return buffer
    }

    /// An AVC sequence header tag body: AVCPacketType 0 and a decoder configuration record for
    /// High profile, level 3.1, with one SPS and one PPS.
    public static func videoSequenceHeader() -> ByteBuffer {
        let sps: [UInt8] = [
            0x67, 0x64, 0x00, 0x1F, 0xAC, 0xD9, 0x40, 0x50, 0x05, 0xBB, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00,
            0x10, 0x00, 0x00, 0x03, 0x03, 0xC0, 0xF1, 0x83, 0x19, 0x60,
        ]
        let pps: [UInt8] = [0x68, 0xEB, 0xE3, 0xCB, 0x22, 0xC0]
        var buffer = ByteBuffer(bytes: [0x17, 0x00, 0x00, 0x00, 0x00])
        buffer.writeBytes([0x01, 0x64, 0x00, 0x1F, 0xFF, 0xE1])
        buffer.writeInteger(UInt16(sps.count))
        buffer.writeBytes(sps)
        buffer.writeInteger(UInt8(1))
        buffer.writeInteger(UInt16(pps.count))
        buffer.writeBytes(pps)
        return buffer
    }

    /// An AAC sequence header tag body: AACPacketType 0 and the AudioSpecificConfig of
    /// AAC LC, 44.1 kHz, stereo.
    public static func audioSequenceHeader() -> ByteBuffer {
        ByteBuffer(bytes: [0xAF, 0x00, 0x12, 0x10])
    }

    /// One second of media, in the order a publisher interleaves it (by time, video first at
    /// equal times): a 48 KB keyframe and 29 inter frames of 8–10 KB at 30 fps, and 43 AAC
    /// frames of about 370 bytes.
    ///
    /// Every second is the same, so ``MediaFrame/offset`` plus 1000 ms per second gives a
    /// continuous stream with a one-second GOP. Frame sizes vary as an encoder's do; the
    /// payload bytes are pseudo-random.
    public static func mediaSecond() -> [MediaFrame] {
        var random = PseudoRandomBytes()
        let video = (0..<30).map { index in
            let size = index == 0 ? 48_000 : 9_100 + (index * 37 % 11 - 5) * 200
            return MediaFrame(
                kind: .video,
                offset: Int64(index * 1000 / 30),
                isKeyframe: index == 0,
                body: videoFrame(keyframe: index == 0, size: size, random: &random)
            )
        }
        let audio = (0..<43).map { index in
            MediaFrame(
                kind: .audio,
                offset: Int64(index * 1000 / 43),
                isKeyframe: false,
                body: audioFrame(size: 372 + (index * 7 % 9 - 4) * 6, random: &random)
            )
        }
        // By time, video first at equal times: within a kind the offsets are distinct.
        return (video + audio).sorted { a, b in
            (a.offset, a.kind == .video ? 0 : 1) < (b.offset, b.kind == .video ? 0 : 1)
        }
    }

    /// An AVC NALU tag body of `size` bytes: frame type and codec, AVCPacketType 1,
    /// composition time 0, then one length-prefixed IDR or non-IDR slice.
    private static func videoFrame(keyframe: Bool, size: Int, random: inout PseudoRandomBytes) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(size)
        buffer.writeBytes([keyframe ? 0x17 : 0x27, 0x01, 0x00, 0x00, 0x00])
        let naluLength = size - buffer.readableBytes - 4
        buffer.writeInteger(UInt32(naluLength))
        buffer.writeInteger(UInt8(keyframe ? 0x65 : 0x41))
        random.write(count: naluLength - 1, into: &buffer)
        return buffer
    }

    /// An AAC raw frame tag body of `size` bytes: sound format, rate, size and type, then
    /// AACPacketType 1.
    private static func audioFrame(size: Int, random: inout PseudoRandomBytes) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(size)
        buffer.writeBytes([0xAF, 0x01])
        random.write(count: size - 2, into: &buffer)
        return buffer
    }
}

/// One audio or video frame of ``PublisherFixtures/mediaSecond()``.
public struct MediaFrame: Sendable {
    public enum Kind: Sendable {
        case audio
        case video
    }

    /// Audio or video.
    public var kind: Kind
    /// Milliseconds from the start of its second.
    public var offset: Int64
    /// A video keyframe.
    public var isKeyframe: Bool
    /// The RTMP message payload, which is also the FLV tag body.
    public var body: ByteBuffer
}

/// Deterministic filler bytes (xorshift64), so every run measures the same input.
private struct PseudoRandomBytes {
    private var state: UInt64 = 0x9E37_79B9_7F4A_7C15

    mutating func write(count: Int, into buffer: inout ByteBuffer) {
        for _ in 0..<count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            buffer.writeInteger(UInt8(truncatingIfNeeded: state))
        }
    }
}
