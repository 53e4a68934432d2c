import NIOCore

/// One FLV tag as it sits in a file (Annex E.4.1): type, 32-bit timestamp in milliseconds
/// and body.
public struct FLVTag: Sendable, Hashable {
    /// What the body holds.
    public var type: FLVTagType
    /// `Timestamp` and `TimestampExtended` together: milliseconds, the extended byte being the
    /// upper 8 bits.
    public var timestamp: UInt32
    /// The `Filter` bit: the body is encrypted (Annex F). Reel never sets it.
    public var isFiltered: Bool
    /// The tag body, `DataSize` bytes.
    public var data: ByteBuffer

    public init(type: FLVTagType, timestamp: UInt32, isFiltered: Bool = false, data: ByteBuffer) {
        self.type = type
        self.timestamp = timestamp
        self.isFiltered = isFiltered
        self.data = data
    }

    /// Length of a tag header on disk: type, 24-bit data size, 24+8-bit timestamp, stream id.
    public static let headerLength = 11
    /// Length of a `PreviousTagSize` field.
    public static let previousTagSizeLength = 4

    /// Bytes this tag takes in a file, including its trailing `PreviousTagSize`.
    public var encodedLength: Int {
        Self.headerLength + data.readableBytes + Self.previousTagSizeLength
    }
}
