import NIOCore

/// The first bytes of a video tag body (an RTMP video message payload): frame type, codec and
/// packet type, in either the legacy layout (Adobe FLV v10.1, Annex E.4.3.1 `VideoTagHeader`)
/// or the enhanced one (Enhanced RTMP v1/v2, `ExVideoTagHeader`, announced by the
/// `IsExHeader` bit).
///
/// Parsing reads only the header bytes and never copies the payload. It is what lets the
/// recorder recognise keyframes and sequence headers for AVC, HEVC, AV1 and VP9 alike.
public struct FLVVideoTagHeader: Sendable, Hashable {
    /// `FrameType` (Annex E.4.3.1; enhanced RTMP keeps the values, 3 bits wide).
    public enum FrameType: UInt8, Sendable, Hashable {
        /// 1: a keyframe (seekable frame).
        case keyframe = 1
        /// 2: an inter frame.
        case interFrame = 2
        /// 3: a disposable inter frame (H.263 only).
        case disposableInterFrame = 3
        /// 4: a generated keyframe (server use only).
        case generatedKeyframe = 4
        /// 5: video info or command frame; carries no picture.
        case command = 5
    }

    /// The codec the tag declares.
    public enum Codec: Sendable, Hashable {
        /// A legacy `CodecID` (Annex E.4.3.1): 2 Sorenson H.263, 3 screen video, 4 On2 VP6,
        /// 5 VP6 with alpha, 6 screen video v2, 7 AVC; 12 is HEVC as several encoders send it.
        case legacy(UInt8)
        /// An enhanced RTMP `VideoFourCc`.
        case fourCC(FLVFourCC)

        /// Legacy `CodecID` 7.
        public static let avc = Codec.legacy(7)
        /// `CodecID` 12, the unofficial HEVC id used before enhanced RTMP.
        public static let legacyHEVC = Codec.legacy(12)

        /// The value for `onMetaData.videocodecid`: the legacy id, or the FourCC as a number as
        /// enhanced RTMP specifies.
        public var metadataCodecID: Double {
            switch self {
            case .legacy(let id): Double(id)
            case .fourCC(let code): Double(code.rawValue)
            }
        }
    }

    /// What the body after the header carries.
    public enum PacketType: Sendable, Hashable {
        /// Decoder configuration: AVCPacketType 0, or enhanced `SequenceStart` (0).
        case sequenceStart
        /// Coded frames: AVCPacketType 1, enhanced `CodedFrames` (1) or `CodedFramesX` (3).
        case codedFrames
        /// End of sequence: AVCPacketType 2, or enhanced `SequenceEnd` (2).
        case sequenceEnd
        /// Enhanced `Metadata` (4): AMF-encoded video metadata such as HDR colour info.
        case metadata
        /// Enhanced `MPEG2TSSequenceStart` (5).
        case mpeg2TSSequenceStart
        /// Enhanced `Multitrack` (6) or `ModEx` (7): not interpreted further.
        case extended
        /// A command frame (`FrameType` 5) or a legacy codec without packet types.
        case none
    }

    /// The frame type.
    public var frameType: FrameType
    /// The declared codec; `nil` for command frames and multitrack/ModEx packets.
    public var codec: Codec?
    /// The packet type.
    public var packetType: PacketType
    /// `CompositionTime` in milliseconds (AVC/HEVC legacy and enhanced `CodedFrames`), else 0.
    public var compositionTime: Int32
    /// Bytes of header before the codec payload.
    public var length: Int

    /// A picture a decoder can start from: a key or generated keyframe that is not a sequence
    /// header, sequence end, or metadata packet.
    public var isKeyframe: Bool {
        guard frameType == .keyframe || frameType == .generatedKeyframe, codec != nil else { return false }
        return packetType == .codedFrames || packetType == .none
    }

    /// Decoder configuration the player needs before any frame.
    public var isSequenceHeader: Bool {
        packetType == .sequenceStart || packetType == .mpeg2TSSequenceStart
    }

    /// Parses the header at the reader index of `body` without moving it.
    ///
    /// - Parameter body: A video tag body.
    /// - Throws: ``FLVDecodingError/Code/truncatedTagBody`` when the body ends inside the
    ///   header, ``FLVDecodingError/Code/invalidPacketType`` for an undefined AVCPacketType or
    ///   enhanced packet type, ``FLVDecodingError/Code/invalidTagType`` for an undefined
    ///   frame type.
    public init(parsing body: ByteBuffer) throws(FLVDecodingError) {
        let start = body.readerIndex
        guard let first = body.getInteger(at: start, as: UInt8.self) else {
            throw FLVDecodingError(.truncatedTagBody)
        }
        if first & 0x80 != 0 {
            self = try Self.enhanced(first, body: body, start: start)
            return
        }
        guard let frameType = FrameType(rawValue: first >> 4) else { throw FLVDecodingError(.invalidTagType) }
        let codecID = first & 0x0F
        self.frameType = frameType
        self.codec = .legacy(codecID)
        guard codecID == 7 || codecID == 12 else {
            packetType = .none
            compositionTime = 0
            length = 1
            return
        }
        guard let avcPacketType = body.getInteger(at: start + 1, as: UInt8.self),
            let time = body.getUInt24(at: start + 2)
        else { throw FLVDecodingError(.truncatedTagBody) }
        switch avcPacketType {
        case 0: packetType = .sequenceStart
        case 1: packetType = .codedFrames
        case 2: packetType = .sequenceEnd
        default: throw FLVDecodingError(.invalidPacketType)
        }
        compositionTime = Self.signExtend24(time)
        length = 5
    }

    private init(frameType: FrameType, codec: Codec?, packetType: PacketType, compositionTime: Int32, length: Int) {
        self.frameType = frameType
        self.codec = codec
        self.packetType = packetType
        self.compositionTime = compositionTime
        self.length = length
    }

    private static func enhanced(_ first: UInt8, body: ByteBuffer, start: Int) throws(FLVDecodingError) -> Self {
        guard let frameType = FrameType(rawValue: (first >> 4) & 0x07) else {
            throw FLVDecodingError(.invalidTagType)
        }
        let rawPacketType = first & 0x0F
        let packetType: PacketType
        switch rawPacketType {
        case 0: packetType = .sequenceStart
        case 1, 3: packetType = .codedFrames
        case 2: packetType = .sequenceEnd
        case 4: packetType = .metadata
        case 5: packetType = .mpeg2TSSequenceStart
        case 6, 7: packetType = .extended
        default: throw FLVDecodingError(.invalidPacketType)
        }
        if packetType == .extended {
            return Self(frameType: frameType, codec: nil, packetType: .extended, compositionTime: 0, length: 1)
        }
        if frameType == .command && packetType != .metadata {
            // Enhanced RTMP: a command frame carries a `VideoCommand` byte, no FourCC.
            guard body.getInteger(at: start + 1, as: UInt8.self) != nil else {
                throw FLVDecodingError(.truncatedTagBody)
            }
            return Self(frameType: frameType, codec: nil, packetType: .none, compositionTime: 0, length: 2)
        }
        guard let rawFourCC = body.getInteger(at: start + 1, as: UInt32.self) else {
            throw FLVDecodingError(.truncatedTagBody)
        }
        let fourCC = FLVFourCC(rawValue: rawFourCC)
        // `CodedFrames` (not `CodedFramesX`) of AVC and HEVC carry an SI24 composition time.
        guard rawPacketType == 1, fourCC == .avc1 || fourCC == .hvc1 else {
            return Self(
                frameType: frameType,
                codec: .fourCC(fourCC),
                packetType: packetType,
                compositionTime: 0,
                length: 5
            )
        }
        guard let time = body.getUInt24(at: start + 5) else { throw FLVDecodingError(.truncatedTagBody) }
        return Self(
            frameType: frameType,
            codec: .fourCC(fourCC),
            packetType: packetType,
            compositionTime: signExtend24(time),
            length: 8
        )
    }

    private static func signExtend24(_ value: UInt32) -> Int32 {
        Int32(bitPattern: value << 8) >> 8
    }
}
