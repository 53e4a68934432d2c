import NIOCore

/// The fixed-width and string readers both AMF versions build on. All multi-byte numbers are
/// big-endian (AMF0 specification §1.3, AMF3 specification §1.3).
extension ByteBuffer {
    /// Reads a big-endian integer.
    /// - Throws: ``AMFDecodingError/Code/truncated`` if fewer bytes remain.
    mutating func readAMFInteger<Integer: FixedWidthInteger>(
        as: Integer.Type = Integer.self,
        file: String = #fileID,
        line: Int = #line
    ) throws(AMFDecodingError) -> Integer {
        guard let integer = self.readInteger(endianness: .big, as: Integer.self) else {
            throw AMFDecodingError(.truncated, file: file, line: line)
        }
        return integer
    }

    /// Reads an 8-byte IEEE-754 double (AMF0 `DOUBLE`, AMF3 `DOUBLE`).
    /// - Throws: ``AMFDecodingError/Code/truncated`` if fewer than 8 bytes remain.
    mutating func readAMFDouble(file: String = #fileID, line: Int = #line) throws(AMFDecodingError) -> Double {
        Double(bitPattern: try self.readAMFInteger(as: UInt64.self, file: file, line: line))
    }

    /// Writes an 8-byte IEEE-754 double.
    /// - Returns: The number of bytes written, 8.
    @discardableResult
    mutating func writeAMFDouble(_ double: Double) -> Int {
        self.writeInteger(double.bitPattern, endianness: .big)
    }

    /// Reads `length` bytes that must be well-formed UTF-8.
    ///
    /// The caller has already checked `length` against ``AMFDecodingLimits/maxStringLength``.
    /// - Throws: ``AMFDecodingError/Code/truncated`` if fewer bytes remain,
    ///   ``AMFDecodingError/Code/invalidUTF8`` if they are not UTF-8.
    mutating func readAMFUTF8String(
        length: Int,
        file: String = #fileID,
        line: Int = #line
    ) throws(AMFDecodingError) -> String {
        guard let string = self.getString(at: self.readerIndex, length: length) else {
            throw AMFDecodingError(.truncated, file: file, line: line)
        }
        // `getString` repairs ill-formed input with U+FFFD; repaired text never equals its input
        // (the repair is well-formed, the input was not), so comparing bytes detects it.
        let isWellFormed = self.withUnsafeReadableBytes { readable in
            let input = readable.prefix(length)
            return string.utf8.withContiguousStorageIfAvailable { $0.elementsEqual(input) }
                ?? string.utf8.elementsEqual(input)
        }
        guard isWellFormed else {
            throw AMFDecodingError(.invalidUTF8, file: file, line: line)
        }
        self.moveReaderIndex(forwardBy: length)
        return string
    }

    /// Reads `length` raw bytes.
    /// - Throws: ``AMFDecodingError/Code/truncated`` if fewer bytes remain.
    mutating func readAMFBytes(
        length: Int,
        file: String = #fileID,
        line: Int = #line
    ) throws(AMFDecodingError) -> [UInt8] {
        guard let bytes = self.readBytes(length: length) else {
            throw AMFDecodingError(.truncated, file: file, line: line)
        }
        return bytes
    }
}
