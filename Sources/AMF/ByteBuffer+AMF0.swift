import NIOCore

extension ByteBuffer {
    /// Reads one AMF0 value (AMF0 specification §2), including any AMF3 value behind an AVM+
    /// marker (§3.1).
    ///
    /// References (§2.9) resolve against the objects, typed objects, ECMA arrays and strict arrays
    /// read earlier in this call.
    /// - Parameter limits: Depth, element and string-length bounds for this call.
    ///   Default: ``AMFDecodingLimits/default``.
    /// - Returns: The value; the reader index has moved past it.
    /// - Throws: ``AMFDecodingError`` if the bytes are not one complete, valid value within `limits`;
    ///   input that ends early is ``AMFDecodingError/Code/truncated``, since RTMP delivers whole
    ///   messages. The reader index is then unchanged.
    public mutating func readAMF0Value(limits: AMFDecodingLimits = .default) throws(AMFDecodingError) -> AMF0Value {
        var decoder = AMF0Decoder(limits: limits)
        var copy = self
        let value = try decoder.readValue(from: &copy)
        self = copy
        return value
    }

    /// Reads AMF0 values until no bytes remain: the body of an RTMP command or data message.
    ///
    /// The values share one reference table and one set of limits, as one message is one
    /// serialization.
    /// - Parameter limits: Depth, element and string-length bounds for this call.
    ///   Default: ``AMFDecodingLimits/default``.
    /// - Returns: The values in order; empty if the buffer was empty. The buffer is then empty.
    /// - Throws: ``AMFDecodingError`` as ``readAMF0Value(limits:)`` does. The reader index is then unchanged.
    public mutating func readAMF0Values(limits: AMFDecodingLimits = .default) throws(AMFDecodingError) -> [AMF0Value] {
        var decoder = AMF0Decoder(limits: limits)
        var copy = self
        var values: [AMF0Value] = []
        while copy.readableBytes > 0 {
            values.append(try decoder.readValue(from: &copy))
        }
        self = copy
        return values
    }

    /// Writes one AMF0 value (AMF0 specification §2), never as a reference.
    ///
    /// A ``AMF0Value/string(_:)`` of more than 65,535 UTF-8 bytes is written as a long string
    /// (0x0C); ECMA arrays carry their property count; objects, ECMA arrays and typed objects end
    /// with the object end (0x00 0x00 0x09).
    /// - Precondition: Property names and class names are at most 65,535 UTF-8 bytes; long strings,
    ///   XML documents and strict arrays hold fewer than 2³² bytes or elements.
    /// - Returns: The number of bytes written.
    @discardableResult
    public mutating func writeAMF0Value(_ value: AMF0Value) -> Int {
        switch value {
        case .number(let number):
            return self.writeAMF0Marker(.number) + self.writeAMFDouble(number)
        case .boolean(let boolean):
            return self.writeAMF0Marker(.boolean) + self.writeInteger(boolean ? 1 : 0, as: UInt8.self)
        case .string(let string) where string.utf8.count <= UInt16.max:
            return self.writeAMF0Marker(.string) + self.writeAMF0String(string)
        case .string(let string):
            return self.writeAMF0Marker(.longString) + self.writeAMF0LongString(string)
        case .object(let object):
            return self.writeAMF0Marker(.object) + self.writeAMF0Properties(object)
        case .null:
            return self.writeAMF0Marker(.null)
        case .undefined:
            return self.writeAMF0Marker(.undefined)
        case .ecmaArray(let object):
            precondition(object.properties.count <= UInt32.max, "ECMA array has too many properties for AMF0")
            return self.writeAMF0Marker(.ecmaArray)
                + self.writeInteger(UInt32(object.properties.count), endianness: .big)
                + self.writeAMF0Properties(object)
        case .strictArray(let elements):
            precondition(elements.count <= UInt32.max, "strict array has too many elements for AMF0")
            var written = self.writeAMF0Marker(.strictArray)
            written += self.writeInteger(UInt32(elements.count), endianness: .big)
            for element in elements {
                written += self.writeAMF0Value(element)
            }
            return written
        case .date(let milliseconds, let timeZone):
            return self.writeAMF0Marker(.date)
                + self.writeAMFDouble(milliseconds)
                + self.writeInteger(timeZone, endianness: .big)
        case .xmlDocument(let document):
            return self.writeAMF0Marker(.xmlDocument) + self.writeAMF0LongString(document)
        case .typedObject(let className, let object):
            return self.writeAMF0Marker(.typedObject)
                + self.writeAMF0String(className)
                + self.writeAMF0Properties(object)
        case .avmPlus(let amf3):
            return self.writeAMF0Marker(.avmPlus) + self.writeAMF3Value(amf3)
        }
    }

    private mutating func writeAMF0Marker(_ marker: AMF0Marker) -> Int {
        self.writeInteger(marker.rawValue)
    }

    /// Writes `UTF-8` (§1.3.1): a 16-bit length and the bytes.
    private mutating func writeAMF0String(_ string: String) -> Int {
        let length = string.utf8.count
        precondition(length <= UInt16.max, "AMF0 name of \(length) bytes exceeds 65,535")
        return self.writeInteger(UInt16(length), endianness: .big) + self.writeString(string)
    }

    /// Writes `UTF-8-long` (§1.3.1): a 32-bit length and the bytes.
    private mutating func writeAMF0LongString(_ string: String) -> Int {
        let length = string.utf8.count
        precondition(length <= UInt32.max, "AMF0 long string of \(length) bytes exceeds 2^32 - 1")
        return self.writeInteger(UInt32(length), endianness: .big) + self.writeString(string)
    }

    /// Writes each property as a name and a value, then the object end (§2.11).
    private mutating func writeAMF0Properties(_ object: AMFObject) -> Int {
        var written = 0
        for property in object.properties {
            written += self.writeAMF0String(property.name)
            written += self.writeAMF0Value(property.value)
        }
        return written + self.writeAMF0String("") + self.writeAMF0Marker(.objectEnd)
    }
}
