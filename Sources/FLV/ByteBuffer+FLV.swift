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
        let size = data.readableBytes
        precondition(size <= 0xFF_FFFF, "an FLV tag body is at most 2^24 - 1 bytes, got \(size)")
        var written = writeInteger(type.rawValue | (isFiltered ? 0x20 : 0))
        written += writeUInt24(UInt32(size))
        written += writeUInt24(timestamp & 0xFF_FFFF)
        written += writeInteger(UInt8(truncatingIfNeeded: timestamp >> 24))
        written += writeUInt24(0)
        written += writeImmutableBuffer(data)
        written += writeInteger(UInt32(FLVTag.headerLength + size))
        return written
    }

    @discardableResult
    mutating func writeUInt24(_ value: UInt32) -> Int {
        writeBytes([
            UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
            UInt8(truncatingIfNeeded: value),
        ])
    }

    func getUInt24(at index: Int) -> UInt32? {
        guard let bytes = getBytes(at: index, length: 3) else { return nil }
        return UInt32(bytes[0]) << 16 | UInt32(bytes[1]) << 8 | UInt32(bytes[2])
    }
}
