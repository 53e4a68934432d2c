import NIOCore
import Testing

@testable import AMF

struct AMF3Tests {
    struct U29Case: Sendable, CustomTestStringConvertible {
        var value: Int32
        var bytes: [UInt8]
        var testDescription: String { "\(value)" }
    }

    /// Integer values at every U29 length boundary with their encodings (AMF3 specification §1.3.1).
    static let u29Cases: [U29Case] = [
        U29Case(value: 0, bytes: [0x00]),
        U29Case(value: 1, bytes: [0x01]),
        U29Case(value: 0x7F, bytes: [0x7F]),
        U29Case(value: 0x80, bytes: [0x81, 0x00]),
        U29Case(value: 0x3FFF, bytes: [0xFF, 0x7F]),
        U29Case(value: 0x4000, bytes: [0x81, 0x80, 0x00]),
        U29Case(value: 0x1F_FFFF, bytes: [0xFF, 0xFF, 0x7F]),
        U29Case(value: 0x20_0000, bytes: [0x80, 0xC0, 0x80, 0x00]),
        U29Case(value: 0x0FFF_FFFF, bytes: [0xBF, 0xFF, 0xFF, 0xFF]),
        U29Case(value: -1, bytes: [0xFF, 0xFF, 0xFF, 0xFF]),
        U29Case(value: -2, bytes: [0xFF, 0xFF, 0xFF, 0xFE]),
        U29Case(value: -0x1000_0000, bytes: [0xC0, 0x80, 0x80, 0x00]),
    ]

    @Test(arguments: u29Cases)
    func integerEncoding(_ u29: U29Case) throws {
        var buffer = ByteBuffer()
        let written = buffer.writeAMF3Value(.integer(u29.value))
        #expect(Array(buffer.readableBytesView) == [0x04] + u29.bytes)
        #expect(written == 1 + u29.bytes.count)
        #expect(try decodeAMF3([0x04] + u29.bytes) == .integer(u29.value))
    }

    @Test(arguments: [Int32(0x1000_0000), -0x1000_0001, .max, .min])
    func integerOutsideTwentyNineBitsIsWrittenAsDouble(_ value: Int32) throws {
        var buffer = ByteBuffer()
        buffer.writeAMF3Value(.integer(value))
        #expect(buffer.getInteger(at: 0, as: UInt8.self) == 0x05)
        #expect(buffer.readableBytes == 9)
        #expect(try buffer.readAMF3Value() == .double(Double(value)))
    }

    @Test
    func nonCanonicalU29IsAccepted() throws {
        // 0x7F written in two bytes: the continuation bit is what counts.
        #expect(try decodeAMF3([0x04, 0x80, 0x7F]) == .integer(0x7F))
    }

    static let values: [AMF3Value] = [
        .undefined,
        .null,
        .false,
        .true,
        .integer(0),
        .integer(-0x1000_0000),
        .integer(0x0FFF_FFFF),
        .double(0.1),
        .double(-.infinity),
        .string(""),
        .string("ü 🎥"),
        .string(String(repeating: "s", count: 0x4000)),
        .xmlDocument("<doc/>"),
        .xmlDocument(""),
        .date(millisecondsSince1970: 1.5e12),
        .array(associative: [], dense: []),
        .array(associative: [], dense: [.integer(1), .string("two"), .array(associative: [], dense: [.null])]),
        .array(
            associative: [AMF3Property(name: "k", value: .string("v")), AMF3Property(name: "n", value: .double(2))],
            dense: [.true]
        ),
        .object(className: "", members: []),
        .object(
            className: "",
            members: [AMF3Property(name: "", value: .null), AMF3Property(name: "a", value: .integer(7))]
        ),
        .object(
            className: "flash.geom.Point",
            members: [AMF3Property(name: "x", value: .double(1.5)), AMF3Property(name: "y", value: .double(-2))]
        ),
        .object(
            className: "Outer",
            members: [
                AMF3Property(
                    name: "inner",
                    value: .object(className: "Inner", members: [AMF3Property(name: "b", value: .byteArray([0, 255]))])
                )
            ]
        ),
        .xml("<x a=\"1\"/>"),
        .byteArray([]),
        .byteArray(Array(0...255)),
    ]

    @Test(arguments: values)
    func roundTrip(_ value: AMF3Value) throws {
        var buffer = ByteBuffer()
        let written = buffer.writeAMF3Value(value)
        #expect(written == buffer.readableBytes)
        #expect(try buffer.readAMF3Value() == value)
        #expect(buffer.readableBytes == 0)
    }

    @Test(arguments: values)
    func roundTripInsideAVMPlus(_ value: AMF3Value) throws {
        var buffer = ByteBuffer()
        buffer.writeAMF0Value(.strictArray([.avmPlus(value), .avmPlus(value)]))
        #expect(try buffer.readAMF0Value() == .strictArray([.avmPlus(value), .avmPlus(value)]))
    }

    @Test
    func scalarsAreWrittenAsTheSpecificationLaysThemOut() {
        func encoded(_ value: AMF3Value) -> [UInt8] {
            var buffer = ByteBuffer()
            buffer.writeAMF3Value(value)
            return Array(buffer.readableBytesView)
        }
        #expect(encoded(.undefined) == [0x00])
        #expect(encoded(.null) == [0x01])
        #expect(encoded(.false) == [0x02])
        #expect(encoded(.true) == [0x03])
        #expect(encoded(.double(1)) == [0x05, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0])
        #expect(encoded(.string("")) == [0x06, 0x01])
        #expect(encoded(.string("ab")) == [0x06, 0x05, 0x61, 0x62])
        #expect(encoded(.xmlDocument("<a/>")) == [0x07, 0x09] + Bytes.utf8("<a/>"))
        #expect(encoded(.date(millisecondsSince1970: 1)) == [0x08, 0x01, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0])
        #expect(
            encoded(.array(associative: [AMF3Property(name: "a", value: .null)], dense: [.true])) == [
                0x09, 0x03, 0x03, 0x61, 0x01, 0x01, 0x03,
            ]
        )
        #expect(
            encoded(.object(className: "P", members: [AMF3Property(name: "x", value: .integer(5))])) == [
                0x0A, 0x13, 0x03, 0x50, 0x03, 0x78, 0x04, 0x05,
            ]
        )
        #expect(encoded(.xml("<b/>")) == [0x0B, 0x09] + Bytes.utf8("<b/>"))
        #expect(encoded(.byteArray([7, 8])) == [0x0C, 0x05, 0x07, 0x08])
    }

    // MARK: References (AMF3 specification §2.2)

    @Test
    func stringReferences() throws {
        // Dense array of "ab", a reference to string 0, "", and "" again.
        let bytes: [UInt8] = [0x09, 0x09, 0x01, 0x06, 0x05, 0x61, 0x62, 0x06, 0x00, 0x06, 0x01, 0x06, 0x01]
        #expect(
            try decodeAMF3(bytes)
                == .array(associative: [], dense: [.string("ab"), .string("ab"), .string(""), .string("")])
        )
    }

    @Test
    func emptyStringIsNeverReferenced() throws {
        // "", "x", reference 0: the empty string took no table entry, so reference 0 is "x".
        let bytes: [UInt8] = [0x09, 0x07, 0x01, 0x06, 0x01, 0x06, 0x03, 0x78, 0x06, 0x00]
        #expect(try decodeAMF3(bytes) == .array(associative: [], dense: [.string(""), .string("x"), .string("x")]))
    }

    @Test
    func namesAndClassNamesShareTheStringTable() throws {
        // Object of class "k" (string 0) with dynamic member "k" sent as reference 0, value reference 0.
        let bytes: [UInt8] = [0x0A, 0x0B, 0x03, 0x6B, 0x00, 0x06, 0x00, 0x01]
        #expect(
            try decodeAMF3(bytes) == .object(className: "k", members: [AMF3Property(name: "k", value: .string("k"))])
        )
    }

    @Test
    func objectReferences() throws {
        // Array (object 0) of an anonymous dynamic object (object 1) {a: 1} and a reference to object 1.
        let bytes: [UInt8] = [0x09, 0x05, 0x01, 0x0A, 0x0B, 0x01, 0x03, 0x61, 0x04, 0x01, 0x01, 0x0A, 0x02]
        let object = AMF3Value.object(className: "", members: [AMF3Property(name: "a", value: .integer(1))])
        #expect(try decodeAMF3(bytes) == .array(associative: [], dense: [object, object]))
    }

    @Test
    func everyReferenceableKindSharesTheObjectTable() throws {
        // Array (0) of xml-doc (1), date (2), xml (3), byte array (4), inner array (5), then references 5…1.
        let bytes: [UInt8] =
            [0x09, 0x15, 0x01]
            + [0x07, 0x03, 0x64]
            + [0x08, 0x01, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0]
            + [0x0B, 0x03, 0x78]
            + [0x0C, 0x03, 0xAB]
            + [0x09, 0x01, 0x01]
            + [0x09, 0x0A, 0x0C, 0x08, 0x0B, 0x06, 0x08, 0x04, 0x07, 0x02]
        let dense: [AMF3Value] = [
            .xmlDocument("d"), .date(millisecondsSince1970: 1), .xml("x"), .byteArray([0xAB]),
            .array(associative: [], dense: []),
        ]
        #expect(try decodeAMF3(bytes) == .array(associative: [], dense: dense + dense.reversed()))
    }

    @Test
    func traitReferences() throws {
        // Two objects of class "P" with sealed member "x": inline traits, then trait reference 0.
        let bytes: [UInt8] =
            [0x09, 0x05, 0x01]
            + [0x0A, 0x13, 0x03, 0x50, 0x03, 0x78, 0x04, 0x05]
            + [0x0A, 0x01, 0x04, 0x06]
        let expected = AMF3Value.array(
            associative: [],
            dense: [
                .object(className: "P", members: [AMF3Property(name: "x", value: .integer(5))]),
                .object(className: "P", members: [AMF3Property(name: "x", value: .integer(6))]),
            ]
        )
        #expect(try decodeAMF3(bytes) == expected)
    }

    @Test
    func sealedThenDynamicMembers() throws {
        // Class "C", dynamic, one sealed member "s", then dynamic member "d".
        let bytes: [UInt8] = [0x0A, 0x1B, 0x03, 0x43, 0x03, 0x73, 0x02, 0x03, 0x64, 0x03, 0x01]
        let expected = AMF3Value.object(
            className: "C",
            members: [AMF3Property(name: "s", value: .false), AMF3Property(name: "d", value: .true)]
        )
        #expect(try decodeAMF3(bytes) == expected)
    }

    @Test
    func invalidStringReference() {
        expectDecodingError(.invalidReference, [0x06, 0x00], reader: .amf3Value)
        expectDecodingError(.invalidReference, [0x09, 0x05, 0x01, 0x06, 0x03, 0x61, 0x06, 0x02], reader: .amf3Value)
    }

    @Test
    func invalidObjectReference() {
        for marker: UInt8 in [0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C] {
            expectDecodingError(.invalidReference, [marker, 0x00], reader: .amf3Value)
            expectDecodingError(.invalidReference, [marker, 0x02], reader: .amf3Value)
        }
    }

    @Test
    func referenceToAnArrayStillBeingDecoded() {
        expectDecodingError(.invalidReference, [0x09, 0x03, 0x01, 0x09, 0x00], reader: .amf3Value)
        expectDecodingError(.invalidReference, [0x0A, 0x0B, 0x01, 0x03, 0x61, 0x0A, 0x00, 0x01], reader: .amf3Value)
    }

    @Test
    func invalidTraitReference() {
        expectDecodingError(.invalidReference, [0x0A, 0x01], reader: .amf3Value)
        expectDecodingError(.invalidReference, [0x09, 0x05, 0x01, 0x0A, 0x03, 0x01, 0x0A, 0x05], reader: .amf3Value)
    }

    @Test
    func externalizableTraits() {
        expectDecodingError(.externalizableObject, [0x0A, 0x07, 0x03, 0x45, 0x00], reader: .amf3Value)
    }

    @Test(arguments: [UInt8(0x12), 0x20, 0xFF])
    func unknownMarker(_ marker: UInt8) {
        expectDecodingError(.unknownMarker(marker), [marker], reader: .amf3Value)
        expectDecodingError(.unknownMarker(marker), [0x11, marker])
    }

    @Test(arguments: [UInt8(0x0D), 0x0E, 0x0F, 0x10, 0x11])
    func vectorsAndDictionariesAreUnsupported(_ marker: UInt8) {
        expectDecodingError(.unsupportedMarker(marker), [marker, 0x01, 0x00], reader: .amf3Value)
    }

    @Test
    func invalidUTF8() {
        expectDecodingError(.invalidUTF8, [0x06, 0x03, 0xFF], reader: .amf3Value)
        expectDecodingError(.invalidUTF8, [0x07, 0x05, 0xC3, 0x28], reader: .amf3Value)
        expectDecodingError(.invalidUTF8, [0x0B, 0x07, 0xED, 0xA0, 0x80], reader: .amf3Value)
        expectDecodingError(.invalidUTF8, [0x09, 0x01, 0x03, 0xC0, 0x01], reader: .amf3Value)
        expectDecodingError(.invalidUTF8, [0x0A, 0x03, 0x03, 0xFE], reader: .amf3Value)
    }

    static let truncationSamples: [AMF3Value] =
        values + [
            .array(
                associative: [AMF3Property(name: "key", value: .xml("<x/>"))],
                dense: [.date(millisecondsSince1970: 2), .integer(0x0FFF_FFFF)]
            )
        ]

    @Test(arguments: truncationSamples)
    func everyPrefixIsTruncated(_ value: AMF3Value) {
        var encoded = ByteBuffer()
        encoded.writeAMF3Value(value)
        #expect(truncationProblems(in: encoded, reader: .amf3Value) == [])
    }

    @Test
    func everyPrefixOfHandWrittenReferencesIsTruncated() throws {
        let bytes: [UInt8] = [
            0x09, 0x07, 0x01, 0x0A, 0x13, 0x03, 0x50, 0x03, 0x78, 0x06, 0x03, 0x61, 0x0A, 0x01, 0x06, 0x00, 0x0A, 0x04,
        ]
        #expect(try decodeAMF3(bytes) != .undefined)
        #expect(truncationProblems(in: ByteBuffer(bytes: bytes), reader: .amf3Value) == [])
    }

    @Test
    func accessors() {
        #expect(AMF3Value.string("s").stringValue == "s")
        #expect(AMF3Value.xml("s").stringValue == nil)
        #expect(AMF3Value.integer(-3).numberValue == -3)
        #expect(AMF3Value.double(0.5).numberValue == 0.5)
        #expect(AMF3Value.string("1").numberValue == nil)
        #expect(AMF3Value.true.booleanValue == true)
        #expect(AMF3Value.false.booleanValue == false)
        #expect(AMF3Value.null.booleanValue == nil)
        let members = [AMF3Property(name: "m", value: .null)]
        #expect(AMF3Value.object(className: "", members: members).membersValue == members)
        #expect(AMF3Value.array(associative: members, dense: [.true]).membersValue == members)
        #expect(AMF3Value.byteArray([]).membersValue == nil)
    }
}
