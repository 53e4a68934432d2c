import NIOCore

/// Reads an FLV file: its header, then tags, checking the `PreviousTagSize` chain (Adobe FLV
/// v10.1, Annex E.2–E.4.1).
///
/// Each step consumes one whole element or nothing: on short input it rewinds and returns
/// `nil`; on malformed input it throws ``FLVDecodingError``. A tag is only returned once its
/// trailing `PreviousTagSize` has arrived and matched, so the last tag returned is the last
/// complete tag of a file cut short. Tag bodies are slices of the input, never copies.
///
/// Conforms to `NIOSingleStepByteToMessageDecoder`, so it runs inside a channel pipeline or
/// over a whole file in memory through `NIOSingleStepByteToMessageProcessor`.
public struct FLVTagDecoder: NIOSingleStepByteToMessageDecoder {
    /// One element of an FLV file.
    public enum Element: Sendable, Hashable {
        /// The file header (always first).
        case header(FLVHeader)
        /// A tag whose `PreviousTagSize` matched.
        case tag(FLVTag)
    }

    public typealias InboundOut = Element

    private enum State: Sendable, Hashable {
        case expectingHeader
        case expectingTag
    }

    private var state: State = .expectingHeader
    private let limits: FLVDecodingLimits

    /// - Parameter limits: Size bounds; ``FLVDecodingLimits/default`` unless given.
    public init(limits: FLVDecodingLimits = .default) {
        self.limits = limits
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> Element? {
        switch state {
        case .expectingHeader:
            guard let header = try Self.parseHeader(&buffer, limits: limits) else { return nil }
            state = .expectingTag
            return .header(header)
        case .expectingTag:
            return try Self.parseTag(&buffer, limits: limits).map(Element.tag)
        }
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> Element? {
        try decode(buffer: &buffer)
    }

    /// Reads one tag and its `PreviousTagSize` from bytes that hold tags only (no file
    /// header), such as a range of a file read back; the body is a slice of `buffer`.
    ///
    /// - Returns: The tag, or `nil` (consuming nothing) when `buffer` ends first.
    /// - Throws: ``FLVDecodingError`` for a malformed tag or a `PreviousTagSize` that does not match.
    public static func readTag(
        from buffer: inout ByteBuffer,
        limits: FLVDecodingLimits = .default
    ) throws(FLVDecodingError) -> FLVTag? {
        try parseTag(&buffer, limits: limits)
    }

    /// Parses the header and `PreviousTagSize0`, or consumes nothing and returns `nil`.
    static func parseHeader(
        _ buffer: inout ByteBuffer,
        limits: FLVDecodingLimits
    ) throws(FLVDecodingError) -> FLVHeader? {
        let start = buffer.readerIndex
        guard let bytes = buffer.getBytes(at: start, length: 5) else { return nil }
        guard bytes[0] == 0x46, bytes[1] == 0x4C, bytes[2] == 0x56 else {
            throw FLVDecodingError(.invalidSignature)
        }
        guard bytes[3] == FLVHeader.version else { throw FLVDecodingError(.unsupportedVersion) }
        guard let dataOffset = buffer.getInteger(at: start + 5, as: UInt32.self) else { return nil }
        guard dataOffset >= FLVHeader.length, dataOffset <= limits.maximumHeaderSize else {
            throw FLVDecodingError(.invalidHeaderSize)
        }
        let total = Int(dataOffset) + FLVTag.previousTagSizeLength
        guard buffer.readableBytes >= total else { return nil }
        guard buffer.getInteger(at: start + Int(dataOffset), as: UInt32.self) == 0 else {
            throw FLVDecodingError(.previousTagSizeMismatch)
        }
        buffer.moveReaderIndex(forwardBy: total)
        return FLVHeader(hasAudio: bytes[4] & 0x04 != 0, hasVideo: bytes[4] & 0x01 != 0)
    }

    /// Parses one tag and its trailing `PreviousTagSize`, or consumes nothing and returns `nil`.
    static func parseTag(_ buffer: inout ByteBuffer, limits: FLVDecodingLimits) throws(FLVDecodingError) -> FLVTag? {
        let start = buffer.readerIndex
        guard let first = buffer.getInteger(at: start, as: UInt8.self) else { return nil }
        guard first & 0xC0 == 0, let type = FLVTagType(rawValue: first & 0x1F) else {
            throw FLVDecodingError(.invalidTagType)
        }
        guard buffer.readableBytes >= FLVTag.headerLength,
            let size = buffer.getUInt24(at: start + 1),
            let lower = buffer.getUInt24(at: start + 4),
            let upper = buffer.getInteger(at: start + 7, as: UInt8.self),
            let streamID = buffer.getUInt24(at: start + 8)
        else { return nil }
        guard size <= limits.maximumTagDataSize else { throw FLVDecodingError(.tagTooLarge) }
        guard streamID == 0 else { throw FLVDecodingError(.nonZeroStreamID) }
        let dataSize = Int(size)
        guard buffer.readableBytes >= FLVTag.headerLength + dataSize + FLVTag.previousTagSizeLength else {
            return nil
        }
        let previousTagSize = buffer.getInteger(at: start + FLVTag.headerLength + dataSize, as: UInt32.self)
        guard previousTagSize == UInt32(FLVTag.headerLength + dataSize) else {
            throw FLVDecodingError(.previousTagSizeMismatch)
        }
        buffer.moveReaderIndex(forwardBy: FLVTag.headerLength)
        let data = buffer.readSlice(length: dataSize)!
        buffer.moveReaderIndex(forwardBy: FLVTag.previousTagSizeLength)
        return FLVTag(type: type, timestamp: UInt32(upper) << 24 | lower, isFiltered: first & 0x20 != 0, data: data)
    }
}
