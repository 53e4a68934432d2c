import NIOCore

/// Decodes AMF0 values (AMF0 specification §2) with the reference table and limits of one
/// decode call.
///
/// Recursion is one level per container and stops at ``AMFDecodingLimits/maxDepth``.
struct AMF0Decoder {
    /// A complex value in the reference table and what repeating it costs.
    private struct Entry {
        var value: AMF0Value
        var footprint: AMFDecodingBudget.Footprint
    }

    private var budget: AMFDecodingBudget
    /// Objects, typed objects, ECMA arrays and strict arrays in the order their markers were read
    /// (§2.9); `nil` while the value is still being decoded.
    private var references: [Entry?] = []

    init(limits: AMFDecodingLimits) {
        self.budget = AMFDecodingBudget(limits: limits)
    }

    /// Reads one value, marker first.
    mutating func readValue(from buffer: inout ByteBuffer) throws(AMFDecodingError) -> AMF0Value {
        let byte = try buffer.readAMFInteger(as: UInt8.self)
        guard let marker = AMF0Marker(rawValue: byte) else {
            throw AMFDecodingError(.unknownMarker(byte))
        }
        if marker != .reference {
            try budget.countElement()
        }
        switch marker {
        case .reference:
            return try self.readReference(from: &buffer)
        case .number:
            return .number(try buffer.readAMFDouble())
        case .boolean:
            return .boolean(try buffer.readAMFInteger(as: UInt8.self) != 0)
        case .string:
            return .string(try self.readString(from: &buffer))
        case .longString:
            return .string(try self.readLongString(from: &buffer))
        case .xmlDocument:
            return .xmlDocument(try self.readLongString(from: &buffer))
        case .null:
            return .null
        case .undefined:
            return .undefined
        case .date:
            let milliseconds = try buffer.readAMFDouble()
            let timeZone = try buffer.readAMFInteger(as: Int16.self)
            return .date(millisecondsSince1970: milliseconds, timeZone: timeZone)
        case .object:
            return try self.readComplexValue(from: &buffer) { decoder, buffer throws(AMFDecodingError) in
                .object(try decoder.readProperties(from: &buffer))
            }
        case .ecmaArray:
            return try self.readComplexValue(from: &buffer) { decoder, buffer throws(AMFDecodingError) in
                // §2.10: the associative-count is advisory; encoders send wrong counts, so the
                // object end decides.
                _ = try buffer.readAMFInteger(as: UInt32.self)
                return .ecmaArray(try decoder.readProperties(from: &buffer))
            }
        case .strictArray:
            return try self.readComplexValue(from: &buffer) { decoder, buffer throws(AMFDecodingError) in
                .strictArray(try decoder.readStrictArrayElements(from: &buffer))
            }
        case .typedObject:
            return try self.readComplexValue(from: &buffer) { decoder, buffer throws(AMFDecodingError) in
                let className = try decoder.readString(from: &buffer)
                return .typedObject(className: className, try decoder.readProperties(from: &buffer))
            }
        case .avmPlus:
            // §3.1: the AVM+ marker switches one value to AMF3, with AMF3 reference tables of its own.
            var amf3 = AMF3Decoder()
            return .avmPlus(try amf3.readValue(from: &buffer, budget: &budget))
        case .objectEnd:
            throw AMFDecodingError(.unexpectedObjectEnd)
        case .movieclip, .unsupported, .recordset:
            throw AMFDecodingError(.unsupportedMarker(byte))
        }
    }

    /// Reads a reference (§2.9): a 16-bit index into the table of complex values read so far.
    private mutating func readReference(from buffer: inout ByteBuffer) throws(AMFDecodingError) -> AMF0Value {
        let index = Int(try buffer.readAMFInteger(as: UInt16.self))
        guard index < references.count, let entry = references[index] else {
            throw AMFDecodingError(.invalidReference)
        }
        try budget.admit(entry.footprint)
        return entry.value
    }

    /// Reads an object (§2.5), ECMA array (§2.10), strict array (§2.12) or typed object (§2.18)
    /// with `readContents`, one level deeper, entering it in the reference table before its
    /// contents as encoders number them.
    private mutating func readComplexValue(
        from buffer: inout ByteBuffer,
        readContents: (inout AMF0Decoder, inout ByteBuffer) throws(AMFDecodingError) -> AMF0Value
    ) throws(AMFDecodingError) -> AMF0Value {
        let mark = try budget.enterContainer()
        let slot = references.count
        references.append(nil)
        let value = try readContents(&self, &buffer)
        references[slot] = Entry(value: value, footprint: budget.exitContainer(mark))
        return value
    }

    /// Reads the 32-bit count and the values of a strict array (§2.12).
    private mutating func readStrictArrayElements(
        from buffer: inout ByteBuffer
    ) throws(AMFDecodingError) -> [AMF0Value] {
        let count = try buffer.readAMFInteger(as: UInt32.self)
        var elements: [AMF0Value] = []
        // Every value takes at least one byte, so the readable bytes bound a genuine count.
        elements.reserveCapacity(min(Int(count), buffer.readableBytes))
        for _ in 0..<count {
            elements.append(try self.readValue(from: &buffer))
        }
        return elements
    }

    /// Reads properties up to and including the object end: an empty name followed by the
    /// object-end marker (§2.11).
    ///
    /// An empty name followed by any other marker is read as a property called "", which is
    /// unambiguous and is what ``ByteBuffer/writeAMF0Value(_:)`` writes for such a property.
    private mutating func readProperties(from buffer: inout ByteBuffer) throws(AMFDecodingError) -> AMFObject {
        var properties: [AMFObject.Property] = []
        while true {
            let name = try self.readString(from: &buffer)
            if name.isEmpty, buffer.readableBytesView.first == AMF0Marker.objectEnd.rawValue {
                buffer.moveReaderIndex(forwardBy: 1)
                return AMFObject(properties)
            }
            properties.append(AMFObject.Property(name: name, value: try self.readValue(from: &buffer)))
        }
    }

    /// Reads `UTF-8` (§1.3.1): a 16-bit length and that many UTF-8 bytes.
    private func readString(from buffer: inout ByteBuffer) throws(AMFDecodingError) -> String {
        let length = Int(try buffer.readAMFInteger(as: UInt16.self))
        try budget.checkStringLength(length)
        return try buffer.readAMFUTF8String(length: length)
    }

    /// Reads `UTF-8-long` (§1.3.1): a 32-bit length and that many UTF-8 bytes.
    private func readLongString(from buffer: inout ByteBuffer) throws(AMFDecodingError) -> String {
        let length = Int(try buffer.readAMFInteger(as: UInt32.self))
        try budget.checkStringLength(length)
        return try buffer.readAMFUTF8String(length: length)
    }
}
