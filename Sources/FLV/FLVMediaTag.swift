import AMF
import NIOCore

/// A tag on the recorder's 64-bit timeline: what the fragment policy takes in and hands to the
/// fragment writer.
///
/// The body is an RTMP audio, video or AMF0 data message payload, which is an FLV tag body
/// (Adobe FLV v10.1, Annex E.4). The timestamp is in milliseconds on a timeline that never
/// wraps (the 32-bit RTMP wrap-around is unfolded upstream); the writer rebases it per
/// fragment.
public struct FLVMediaTag: Sendable, Hashable {
    /// Audio, video or script data.
    public var type: FLVTagType
    /// Milliseconds on the 64-bit timeline.
    public var timestamp: Int64
    /// A video keyframe that is not a sequence header.
    public var isKeyframe: Bool
    /// Codec configuration for audio and video (AVC/HEVC decoder configuration record, AAC
    /// AudioSpecificConfig, enhanced RTMP `SequenceStart`); for script data, the stream's
    /// `onMetaData`. Either way, what a player needs at the front of every fragment.
    public var isSequenceHeader: Bool
    /// The tag body.
    public var data: ByteBuffer

    /// A tag whose classification is already known.
    public init(type: FLVTagType, timestamp: Int64, isKeyframe: Bool, isSequenceHeader: Bool, data: ByteBuffer) {
        self.type = type
        self.timestamp = timestamp
        self.isKeyframe = isKeyframe
        self.isSequenceHeader = isSequenceHeader
        self.data = data
    }

    /// A tag classified from its body's first bytes: ``FLVVideoTagHeader`` and
    /// ``FLVAudioTagHeader`` for media, the first AMF0 value for script data (`onMetaData`,
    /// possibly behind `@setDataFrame`).
    ///
    /// A body whose header does not parse is still a tag to record: it is classified as
    /// neither keyframe nor sequence header.
    public init(type: FLVTagType, timestamp: Int64, data: ByteBuffer) {
        var isKeyframe = false
        var isSequenceHeader = false
        switch type {
        case .video:
            if let header = try? FLVVideoTagHeader(parsing: data) {
                isKeyframe = header.isKeyframe
                isSequenceHeader = header.isSequenceHeader
            }
        case .audio:
            isSequenceHeader = (try? FLVAudioTagHeader(parsing: data))?.isSequenceHeader ?? false
        case .scriptData:
            isSequenceHeader = FLVOnMetaData.publisherProperties(in: data) != nil
        }
        self.init(
            type: type,
            timestamp: timestamp,
            isKeyframe: isKeyframe,
            isSequenceHeader: isSequenceHeader,
            data: data
        )
    }

    /// The stream's `onMetaData` (script data marked as a sequence header).
    var isMetadata: Bool { type == .scriptData && isSequenceHeader }

    /// An audio or video frame: media that is not codec configuration.
    public var isFrame: Bool { type != .scriptData && !isSequenceHeader }
}
