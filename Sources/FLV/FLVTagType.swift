/// The type of an FLV tag (Adobe FLV v10.1, Annex E.4.1, `TagType`).
///
/// The values are also the RTMP message type ids of audio, video and AMF0 data messages, so
/// an RTMP message payload is an FLV tag body.
public enum FLVTagType: UInt8, Sendable, Hashable, CaseIterable {
    /// 8: an audio tag, body starting with an `AudioTagHeader` (Annex E.4.2.1).
    case audio = 8
    /// 9: a video tag, body starting with a `VideoTagHeader` (Annex E.4.3.1).
    case video = 9
    /// 18: script data, a sequence of AMF0 values such as `onMetaData` (Annex E.4.4).
    case scriptData = 18
}
