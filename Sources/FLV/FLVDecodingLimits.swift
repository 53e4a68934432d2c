/// Bounds the ``FLVTagDecoder`` enforces so a hostile or corrupt file cannot make it buffer
/// without limit, in the manner of swift-nio's `NIOHTTPDecoderLimitConfiguration`.
public struct FLVDecodingLimits: Sendable, Hashable {
    /// The largest tag `DataSize` accepted, in bytes. Default 8 MiB: a generous ceiling for a
    /// 4K keyframe; the field itself allows 2^24 - 1 (Annex E.4.1).
    public var maximumTagDataSize: Int
    /// The largest file header `DataOffset` accepted, in bytes. Default 1 KiB; version 1 files
    /// use 9 (Annex E.2), larger values are skipped.
    public var maximumHeaderSize: Int

    public init(maximumTagDataSize: Int = 8 * 1024 * 1024, maximumHeaderSize: Int = 1024) {
        self.maximumTagDataSize = maximumTagDataSize
        self.maximumHeaderSize = maximumHeaderSize
    }

    /// The documented defaults.
    public static let `default` = FLVDecodingLimits()
}
