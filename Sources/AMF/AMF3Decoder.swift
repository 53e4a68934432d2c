import NIOCore

/// Decodes AMF3 values (AMF3 specification §3) with the string, object and trait reference
/// tables of one AMF3 serialization.
///
/// Recursion is one level per container and stops at ``AMFDecodingLimits/maxDepth``.
struct AMF3Decoder {
    /// An object-table value and what repeating it costs.
    private struct Entry {
        var value: AMF3Value
        var footprint: AMFDecodingBudget.Footprint
    }

    /// An object's class description (§3.12).
    private struct Traits {
        var className: String
        var sealedMemberNames: [String]
        var isDynamic: Bool
    }

    /// A U29 header of a value that may be sent by reference (§3.9–§3.14): either the value it
    /// refers to, or the bits above the inline flag.
    private enum Header {
        case reference(AMF3Value)
        case inline(UInt32)
    }

    /// Non-empty strings in the order they were read inline (§3.8).
    private var strings: [String] = []
    /// XML documents, dates, arrays, objects, XML and byte arrays in the order their markers were
    /// read (§2.2); `nil` while the value is still being decoded.
    private var objects: [Entry?] = []
    /// Inline traits in the order they were read (§3.12).
    private var traits: [Traits] = []

    /// Reads one value, marker first, charging `budget`.
    mutating func readValue(
        from buffer: inout ByteBuffer,
        budget: inout AMFDecodingBudget
    ) throws(AMFDecodingError) -> AMF3Value {
        let byte = try buffer.readAMFInteger(as: UInt8.self)
        guard let marker = AMF3Marker(rawValue: byte) else {
            throw AMFDecodingError(.unknownMarker(byte))
        }
        switch marker {
        case .undefined:
            try budget.countElement()
            return .undefined
        case .null:
            try budget.countElement()
            return .null
        case .false:
            try budget.countElement()
            return .false
        case .true:
            try budget.countElement()
            return .true
        case .integer:
            try budget.countElement()
            // §3.6: sign-extend the 29-bit value.
            return .integer(Int32(bitPattern: try buffer.readAMFU29() << 3) >> 3)
        case .double:
            try budget.countElement()
            return .double(try buffer.readAMFDouble())
        case .string:
            try budget.countElement()
            return .string(try self.readString(from: &buffer, budget: budget))
        case .xmlDocument:
            return try self.readText(from: &buffer, budget: &budget, as: AMF3Value.xmlDocument)
        case .xml:
            return try self.readText(from: &buffer, budget: &budget, as: AMF3Value.xml)
        case .date:
            switch try self.readHeader(from: &buffer, budget: &budget) {
            case .reference(let value):
                return value
            case .inline:
                let value = AMF3Value.date(millisecondsSince1970: try buffer.readAMFDouble())
                objects.append(Entry(value: value, footprint: .scalar))
                return value
            }
        case .byteArray:
            switch try self.readHeader(from: &buffer, budget: &budget) {
            case .reference(let value):
                return value
            case .inline(let length):
                let value = AMF3Value.byteArray(try buffer.readAMFBytes(length: Int(length)))
                objects.append(Entry(value: value, footprint: .scalar))
                return value
            }
        case .array:
            switch try self.readHeader(from: &buffer, budget: &budget) {
            case .reference(let value):
                return value
            case .inline(let denseCount):
                return try self.readComplexValue(from: &buffer, budget: &budget) {
                    decoder,
                    buffer,
                    budget throws(AMFDecodingError) in
                    try decoder.readArrayContents(denseCount: denseCount, from: &buffer, budget: &budget)
                }
            }
        case .object:
            switch try self.readHeader(from: &buffer, budget: &budget) {
            case .reference(let value):
                return value
            case .inline(let flags):
                return try self.readComplexValue(from: &buffer, budget: &budget) {
                    decoder,
                    buffer,
                    budget throws(AMFDecodingError) in
                    try decoder.readObjectContents(flags: flags, from: &buffer, budget: &budget)
                }
            }
        case .vectorInt, .vectorUInt, .vectorDouble, .vectorObject, .dictionary:
            throw AMFDecodingError(.unsupportedMarker(byte))
        }
    }

    /// Reads the U29 header of a value that may be a reference: low bit 0 is an index into the
    /// object table, low bit 1 is an inline value described by the remaining bits.
    ///
    /// Charges `budget` for the value: its repeated footprint, or one element when inline.
    private mutating func readHeader(
        from buffer: inout ByteBuffer,
        budget: inout AMFDecodingBudget
    ) throws(AMFDecodingError) -> Header {
        let header = try buffer.readAMFU29()
        guard header & 1 == 0 else {
            try budget.countElement()
            return .inline(header >> 1)
        }
        let index = Int(header >> 1)
        guard index < objects.count, let entry = objects[index] else {
            throw AMFDecodingError(.invalidReference)
        }
        try budget.admit(entry.footprint)
        return .reference(entry.value)
    }

    /// Reads `UTF-8-vr` (§1.3.2, §3.8): a string reference, or a length and UTF-8 bytes that
    /// enter the string table unless empty.
    private mutating func readString(
        from buffer: inout ByteBuffer,
        budget: AMFDecodingBudget
    ) throws(AMFDecodingError) -> String {
        let header = try buffer.readAMFU29()
        guard header & 1 == 1 else {
            let index = Int(header >> 1)
            guard index < strings.count else {
                throw AMFDecodingError(.invalidReference)
            }
            return strings[index]
        }
        let length = Int(header >> 1)
        try budget.checkStringLength(length)
        let string = try buffer.readAMFUTF8String(length: length)
        if !string.isEmpty {
            strings.append(string)
        }
        return string
    }

    /// Reads an XML document (§3.9) or XML value (§3.13): an object-table reference, or a length
    /// and UTF-8 bytes.
    private mutating func readText(
        from buffer: inout ByteBuffer,
        budget: inout AMFDecodingBudget,
        as makeValue: (String) -> AMF3Value
    ) throws(AMFDecodingError) -> AMF3Value {
        switch try self.readHeader(from: &buffer, budget: &budget) {
        case .reference(let value):
            return value
        case .inline(let length):
            try budget.checkStringLength(Int(length))
            let value = makeValue(try buffer.readAMFUTF8String(length: Int(length)))
            objects.append(Entry(value: value, footprint: .scalar))
            return value
        }
    }

    /// Reads an array's or object's contents with `readContents`, one level deeper, entering it
    /// in the object table before its contents, as encoders number them.
    private mutating func readComplexValue(
        from buffer: inout ByteBuffer,
        budget: inout AMFDecodingBudget,
        readContents: (inout AMF3Decoder, inout ByteBuffer, inout AMFDecodingBudget) throws(AMFDecodingError) ->
            AMF3Value
    ) throws(AMFDecodingError) -> AMF3Value {
        let mark = try budget.enterContainer()
        let slot = objects.count
        objects.append(nil)
        let value = try readContents(&self, &buffer, &budget)
        objects[slot] = Entry(value: value, footprint: budget.exitContainer(mark))
        return value
    }

    /// Reads an array (§3.11) after its header: name and value pairs up to the empty name, then
    /// `denseCount` values.
    private mutating func readArrayContents(
        denseCount: UInt32,
        from buffer: inout ByteBuffer,
        budget: inout AMFDecodingBudget
    ) throws(AMFDecodingError) -> AMF3Value {
        let associative = try self.readDynamicMembers(from: &buffer, budget: &budget)
        var dense: [AMF3Value] = []
        // Every value takes at least one byte, so the readable bytes bound a genuine count.
        dense.reserveCapacity(min(Int(denseCount), buffer.readableBytes))
        for _ in 0..<denseCount {
            dense.append(try self.readValue(from: &buffer, budget: &budget))
        }
        return .array(associative: associative, dense: dense)
    }

    /// Reads an object (§3.12) after the reference bit of its header: its traits (a trait
    /// reference or inline traits), sealed member values, then dynamic members if the traits
    /// say so.
    /// - Throws: ``AMFDecodingError/Code/externalizableObject`` for externalizable traits.
    private mutating func readObjectContents(
        flags: UInt32,
        from buffer: inout ByteBuffer,
        budget: inout AMFDecodingBudget
    ) throws(AMFDecodingError) -> AMF3Value {
        let objectTraits = try self.readTraits(flags: flags, from: &buffer, budget: budget)
        var members: [AMF3Property] = []
        members.reserveCapacity(objectTraits.sealedMemberNames.count)
        for name in objectTraits.sealedMemberNames {
            members.append(AMF3Property(name: name, value: try self.readValue(from: &buffer, budget: &budget)))
        }
        if objectTraits.isDynamic {
            members += try self.readDynamicMembers(from: &buffer, budget: &budget)
        }
        return .object(className: objectTraits.className, members: members)
    }

    /// Reads the traits part of an object header (`flags` is the U29O value without its low bit):
    /// low bit 0 is an index into the trait table (U29O-traits-ref); otherwise the next bits say
    /// externalizable and dynamic and the rest count the sealed member names that follow the
    /// class name (U29O-traits).
    private mutating func readTraits(
        flags: UInt32,
        from buffer: inout ByteBuffer,
        budget: AMFDecodingBudget
    ) throws(AMFDecodingError) -> Traits {
        guard flags & 0b1 == 0b1 else {
            let index = Int(flags >> 1)
            guard index < traits.count else {
                throw AMFDecodingError(.invalidReference)
            }
            return traits[index]
        }
        guard flags & 0b10 == 0 else {
            throw AMFDecodingError(.externalizableObject)
        }
        let className = try self.readString(from: &buffer, budget: budget)
        let sealedCount = flags >> 3
        var names: [String] = []
        names.reserveCapacity(min(Int(sealedCount), buffer.readableBytes))
        for _ in 0..<sealedCount {
            names.append(try self.readString(from: &buffer, budget: budget))
        }
        let inlineTraits = Traits(className: className, sealedMemberNames: names, isDynamic: flags & 0b100 != 0)
        traits.append(inlineTraits)
        return inlineTraits
    }

    /// Reads name and value pairs up to the empty name: an array's associative part (§3.11) or an
    /// object's dynamic members (§3.12).
    private mutating func readDynamicMembers(
        from buffer: inout ByteBuffer,
        budget: inout AMFDecodingBudget
    ) throws(AMFDecodingError) -> [AMF3Property] {
        var members: [AMF3Property] = []
        while true {
            let name = try self.readString(from: &buffer, budget: budget)
            if name.isEmpty {
                return members
            }
            members.append(AMF3Property(name: name, value: try self.readValue(from: &buffer, budget: &budget)))
        }
    }
}
