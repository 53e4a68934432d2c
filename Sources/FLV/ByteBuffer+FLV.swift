import NIOCore

extension ByteBuffer {
    /// Writes an FLV file header (Annex E.2) and `PreviousTagSize0`.
    ///
    /// - Parameter header: The audio and video flags; the signature, version 1 and
    ///   `DataOffset` 9 are fixed.
    /// - Returns: The number of bytes written, ``FLVHeader/encodedLength``.
    @discardableResult
    public mutating func writeFLVHeader(_ header: FLVHeader) -> Int {
        let flags: UInt8 = (header.hasAudio ? 0x04 : 0) | (header.hasVideo ? 0x01 : 0)
        var written = writeBytes([0x46, 0x4C, 0x56, FLVHeader.version, flags])
        written += writeInteger(UInt32(FLVHeader.length))
        written += writeInteger(UInt32(0))
        return written
    }

    /// Writes one tag (Annex E.4.1) followed by its `PreviousTagSize` (Annex E.3).
    ///
    /// The `StreamID` is 0; the body is copied once, from `tag.data`'s readable bytes.
    /// - Parameter tag: The tag; its body must be shorter than 2^24 bytes.
    /// - Returns: The number of bytes written, `tag.encodedLength`.
    @discardableResult
    public mutating func writeFLVTag(_ tag: FLVTag) -> Int {
        writeFLVTag(type: tag.type, timestamp: tag.timestamp, isFiltered: tag.isFiltered, data: tag.data)
    }

    @discardableResult
    mutating func writeFLVTag(type: FLVTagType, timestamp: UInt32, isFiltered: Bool = false, data: ByteBuffer) -> Int {
        var written = writeFLVTagHeader(type: type, timestamp: timestamp, isFiltered: isFiltered, dataSize: data.readableBytes)
        written += writeImmutableBuffer(data)
        written += writeInteger(UInt32(FLVTag.headerLength + data.readableBytes))
        return written
    }

    /// Writes the 11-byte header of a tag (Annex E.4.1) whose body and `PreviousTagSize`
    /// (`FLVTag.headerLength + dataSize`) the caller writes after it, for gather writes.
    ///
    /// - Parameters:
    ///   - type: The tag type.
    ///   - timestamp: Milliseconds; the top 8 bits go to `TimestampExtended`.
    ///   - isFiltered: The `Filter` bit.
    ///   - dataSize: The body's length; shorter than 2^24 bytes.
    /// - Returns: The number of bytes written, ``FLVTag/headerLength``.
    @discardableResult
    public mutating func writeFLVTagHeader(type: FLVTagType, timestamp: UInt32, isFiltered: Bool = false, dataSize: Int) -> Int {
        precondition(dataSize <= 0xFF_FFFF, "an FLV tag body is at most 2^24 - 1 bytes, got \(dataSize)")
        // TagType (with the Filter bit) and DataSize, Timestamp and TimestampExtended, then
        // StreamID 0 (3 bytes): three integer stores instead of eleven byte writes.
        let typeAndSize = UInt32(type.rawValue | (isFiltered ? 0x20 : 0)) << 24 | UInt32(dataSize)
        let time = (timestamp & 0xFF_FFFF) << 8 | timestamp >> 24
        return writeMultipleIntegers(typeAndSize, time, UInt16(0), UInt8(0))
    }

    @discardableResult
    mutating func writeUInt24(_ value: UInt32) -> Int {
        writeInteger(UInt16(truncatingIfNeeded: value >> 8)) + writeInteger(UInt8(truncatingIfNeeded: value))
    }

    func getUInt24(at index: Int) -> UInt32? {
        guard let bytes = getBytes(at: index, length: 3) else { return nil }
        return UInt32(bytes[0]) << 16 | UInt32(bytes[1]) << 8 | UInt32(bytes[2])
    }
}
