import NIOCore

/// The first bytes of an audio tag body (an RTMP audio message payload): Adobe FLV v10.1,
/// Annex E.4.2.1 `AudioTagHeader`, or the enhanced RTMP v2 `ExAudioTagHeader` announced by
/// `SoundFormat` 9.
///
/// Parsing reads only the header bytes and never copies the payload.
public struct FLVAudioTagHeader: Sendable, Hashable {
    /// The codec the tag declares.
    public enum Codec: Sendable, Hashable {
        /// A legacy `SoundFormat` (Annex E.4.2.1): 0 PCM, 2 MP3, 10 AAC, 11 Speex, ...
        case legacy(UInt8)
        /// An enhanced RTMP `AudioFourCc` such as `mp4a` or `Opus`.
        case fourCC(FLVFourCC)

        /// `SoundFormat` 10.
        public static let aac = Codec.legacy(10)

        /// The value for `onMetaData.audiocodecid`: the legacy format, or the FourCC as a number.
        public var metadataCodecID: Double {
            switch self {
            case .legacy(let id): Double(id)
            case .fourCC(let code): Double(code.rawValue)
            }
        }
    }

    /// The declared codec; `nil` for enhanced multitrack or ModEx packets.
    public var codec: Codec?
    /// `SoundRate` (0 = 5.5 kHz ... 3 = 44 kHz) of a legacy header, else `nil`.
    public var soundRate: UInt8?
    /// `SoundSize`: 16-bit samples, for a legacy header.
    public var is16Bit: Bool
    /// `SoundType`: stereo, for a legacy header.
    public var isStereo: Bool
    /// AAC `AACPacketType` 0, or enhanced `SequenceStart` (0): decoder configuration.
    public var isSequenceHeader: Bool
    /// Bytes of header before the codec payload.
    public var length: Int

    /// Parses the header at the reader index of `body` without moving it.
    ///
    /// - Parameter body: An audio tag body.
    /// - Throws: ``FLVDecodingError/Code/truncatedTagBody`` when the body ends inside the
    ///   header, ``FLVDecodingError/Code/invalidPacketType`` for an undefined `AACPacketType`
    ///   or enhanced `AudioPacketType`.
    public init(parsing body: ByteBuffer) throws(FLVDecodingError) {
        let start = body.readerIndex
        guard let first = body.getInteger(at: start, as: UInt8.self) else {
            throw FLVDecodingError(.truncatedTagBody)
        }
        let soundFormat = first >> 4
        guard soundFormat != 9 else {
            self = try Self.enhanced(first, body: body, start: start)
            return
        }
        codec = .legacy(soundFormat)
        soundRate = (first >> 2) & 0x03
        is16Bit = first & 0x02 != 0
        isStereo = first & 0x01 != 0
        guard soundFormat == 10 else {
            isSequenceHeader = false
            length = 1
            return
        }
        guard let aacPacketType = body.getInteger(at: start + 1, as: UInt8.self) else {
            throw FLVDecodingError(.truncatedTagBody)
        }
        guard aacPacketType <= 1 else { throw FLVDecodingError(.invalidPacketType) }
        isSequenceHeader = aacPacketType == 0
        length = 2
    }

    private init(codec: Codec?, isSequenceHeader: Bool, length: Int) {
        self.codec = codec
        self.soundRate = nil
        self.is16Bit = false
        self.isStereo = false
        self.isSequenceHeader = isSequenceHeader
        self.length = length
    }

    private static func enhanced(_ first: UInt8, body: ByteBuffer, start: Int) throws(FLVDecodingError) -> Self {
        // Enhanced RTMP v2 `AudioPacketType`: 0 SequenceStart, 1 CodedFrames, 2 SequenceEnd,
        // 4 MultichannelConfig, 5 Multitrack, 7 ModEx.
        let packetType = first & 0x0F
        switch packetType {
        case 0, 1, 2, 4:
            guard let fourCC = body.getInteger(at: start + 1, as: UInt32.self) else {
                throw FLVDecodingError(.truncatedTagBody)
            }
            return Self(codec: .fourCC(FLVFourCC(rawValue: fourCC)), isSequenceHeader: packetType == 0, length: 5)
        case 5, 7:
            return Self(codec: nil, isSequenceHeader: false, length: 1)
        default:
            throw FLVDecodingError(.invalidPacketType)
        }
    }
}
