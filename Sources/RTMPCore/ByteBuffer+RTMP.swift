import NIOCore

extension ByteBuffer {
    /// Reads a big-endian 24-bit unsigned integer (chunk message header fields, §5.3.1.2).
    mutating func readUInt24() -> UInt32? {
        // Integer reads: no intermediate array on the per-chunk path.
        guard readableBytes >= 3, let high = readInteger(as: UInt8.self), let middle = readInteger(as: UInt16.self)
        else { return nil }
        return UInt32(high) << 16 | UInt32(middle)
    }

    /// Writes the low 24 bits of `value`, big-endian.
    mutating func writeUInt24(_ value: UInt32) {
        writeInteger(UInt8(truncatingIfNeeded: value >> 16))
        writeInteger(UInt8(truncatingIfNeeded: value >> 8))
        writeInteger(UInt8(truncatingIfNeeded: value))
    }
}
