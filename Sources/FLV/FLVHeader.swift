/// The 9-byte header that opens an FLV file (Annex E.2), followed on disk by
/// `PreviousTagSize0` = 0.
public struct FLVHeader: Sendable, Hashable {
    /// `TypeFlagsAudio`: audio tags are present.
    public var hasAudio: Bool
    /// `TypeFlagsVideo`: video tags are present.
    public var hasVideo: Bool

    public init(hasAudio: Bool, hasVideo: Bool) {
        self.hasAudio = hasAudio
        self.hasVideo = hasVideo
    }

    /// `DataOffset` of a version 1 header.
    public static let length = 9
    /// The version Reel reads and writes.
    public static let version: UInt8 = 1
    /// Bytes before the first tag: the header and `PreviousTagSize0`.
    public static let encodedLength = length + FLVTag.previousTagSizeLength
}
