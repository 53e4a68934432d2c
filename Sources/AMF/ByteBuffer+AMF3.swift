import NIOCore

extension ByteBuffer {
    /// Reads one AMF3 value (AMF3 specification §3) with fresh string, object and trait
    /// reference tables.
    /// - Parameter limits: Depth, element and string-length bounds for this call.
    ///   Default: ``AMFDecodingLimits/default``.
    /// - Returns: The value, references resolved; the reader index has moved past it.
    /// - Throws: ``AMFDecodingError`` if the bytes are not one complete, valid value within `limits`;
    ///   input that ends early is ``AMFDecodingError/Code/truncated``. Vectors, dictionaries and
    ///   externalizable objects are not supported. The reader index is then unchanged.
    public mutating func readAMF3Value(limits: AMFDecodingLimits = .default) throws(AMFDecodingError) -> AMF3Value {
        var decoder = AMF3Decoder()
        var budget = AMFDecodingBudget(limits: limits)
        var copy = self
        let value = try decoder.readValue(from: &copy, budget: &budget)
        self = copy
        return value
    }

    /// Writes one AMF3 value (AMF3 specification §3) with every string, object and trait inline.
    ///
    /// An ``AMF3Value/integer(_:)`` outside the 29-bit range is written as a double (§3.6).
    /// Objects are written with inline, sealed, non-dynamic traits listing every member, which
    /// decodes to the same members in the same order.
    /// - Precondition: Strings, XML and byte arrays are shorter than 2²⁸ bytes, arrays hold fewer
    ///   than 2²⁸ dense elements, objects fewer than 2²⁵ members, and associative array names are
    ///   not empty (the empty name ends the associative part).
    /// - Returns: The number of bytes written.
    @discardableResult
    public mutating func writeAMF3Value(_ value: AMF3Value) -> Int {
        switch value {
        case .undefined:
            return self.writeAMF3Marker(.undefined)
        case .null:
            return self.writeAMF3Marker(.null)
        case .false:
            return self.writeAMF3Marker(.false)
        case .true:
            return self.writeAMF3Marker(.true)
        case .integer(let integer) where (-0x1000_0000...0x0FFF_FFFF).contains(integer):
            return self.writeAMF3Marker(.integer) + self.writeAMFU29(UInt32(bitPattern: integer) & 0x1FFF_FFFF)
        case .integer(let integer):
            return self.writeAMF3Marker(.double) + self.writeAMFDouble(Double(integer))
        case .double(let double):
            return self.writeAMF3Marker(.double) + self.writeAMFDouble(double)
        case .string(let string):
            return self.writeAMF3Marker(.string) + self.writeAMF3String(string)
        case .xmlDocument(let document):
            return self.writeAMF3Marker(.xmlDocument) + self.writeAMF3String(document)
        case .xml(let xml):
            return self.writeAMF3Marker(.xml) + self.writeAMF3String(xml)
        case .date(let milliseconds):
            return self.writeAMF3Marker(.date) + self.writeAMFU29(0b1) + self.writeAMFDouble(milliseconds)
        case .byteArray(let bytes):
            return self.writeAMF3Marker(.byteArray)
                + self.writeAMFU29(Self.inlineHeader(count: bytes.count, flagBits: 1))
                + self.writeBytes(bytes)
        case .array(let associative, let dense):
            var written = self.writeAMF3Marker(.array)
            written += self.writeAMFU29(Self.inlineHeader(count: dense.count, flagBits: 1))
            for member in associative {
                precondition(!member.name.isEmpty, "AMF3 associative array names cannot be empty")
                written += self.writeAMF3String(member.name)
                written += self.writeAMF3Value(member.value)
            }
            written += self.writeAMF3String("")
            for element in dense {
                written += self.writeAMF3Value(element)
            }
            return written
        case .object(let className, let members):
            // U29O-traits: inline object (1), inline traits (1), not externalizable (0), not dynamic (0).
            var written = self.writeAMF3Marker(.object)
            written += self.writeAMFU29(Self.inlineHeader(count: members.count, flagBits: 4) | 0b0011)
            written += self.writeAMF3String(className)
            for member in members {
                written += self.writeAMF3String(member.name)
            }
            for member in members {
                written += self.writeAMF3Value(member.value)
            }
            return written
        }
    }

    /// Reads a `U29` (AMF3 specification §1.3.1): up to three bytes of 7 bits, high bit set when
    /// another byte follows, then a fourth byte of 8 bits.
    /// - Throws: ``AMFDecodingError/Code/truncated`` if the input ends first.
    mutating func readAMFU29(file: String = #fileID, line: Int = #line) throws(AMFDecodingError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<3 {
            let byte = try self.readAMFInteger(as: UInt8.self, file: file, line: line)
            value = value << 7 | UInt32(byte & 0x7F)
            if byte & 0x80 == 0 {
                return value
            }
        }
        return value << 8 | UInt32(try self.readAMFInteger(as: UInt8.self, file: file, line: line))
    }

    /// Writes a `U29` (AMF3 specification §1.3.1) in as few bytes as the value needs.
    /// - Precondition: `value` is below 2²⁹.
    /// - Returns: The number of bytes written, 1 to 4.
    @discardableResult
    mutating func writeAMFU29(_ value: UInt32) -> Int {
        switch value {
        case ..<0x80:
            return self.writeInteger(UInt8(value))
        case ..<0x4000:
            return self.writeInteger(UInt8(value >> 7 | 0x80))
                + self.writeInteger(UInt8(value & 0x7F))
        case ..<0x20_0000:
            return self.writeInteger(UInt8(value >> 14 | 0x80))
                + self.writeInteger(UInt8(value >> 7 & 0x7F | 0x80))
                + self.writeInteger(UInt8(value & 0x7F))
        case ..<0x2000_0000:
            return self.writeInteger(UInt8(value >> 22 | 0x80))
                + self.writeInteger(UInt8(value >> 15 & 0x7F | 0x80))
                + self.writeInteger(UInt8(value >> 8 & 0x7F | 0x80))
                + self.writeInteger(UInt8(value & 0xFF))
        default:
            preconditionFailure("U29 value \(value) does not fit in 29 bits")
        }
    }

    /// A U29 header holding `count` above `flagBits` low bits, which the caller fills in.
    private static func inlineHeader(count: Int, flagBits: Int) -> UInt32 {
        precondition(count < 1 << (29 - flagBits), "AMF3 count \(count) does not fit beside \(flagBits) flag bits")
        return UInt32(count) << flagBits | 1
    }

    private mutating func writeAMF3Marker(_ marker: AMF3Marker) -> Int {
        self.writeInteger(marker.rawValue)
    }

    /// Writes `UTF-8-vr` inline (§1.3.2): the byte length and inline flag as a U29, then the bytes.
    private mutating func writeAMF3String(_ string: String) -> Int {
        self.writeAMFU29(Self.inlineHeader(count: string.utf8.count, flagBits: 1)) + self.writeString(string)
    }
}
