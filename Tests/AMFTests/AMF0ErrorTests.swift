import NIOCore
import Testing

@testable import AMF

struct AMF0ErrorTests {
    /// One value holding every AMF0 kind, with AMF3 inside.
    static let everyKind: AMF0Value = .object([
        "number": .number(3.25),
        "boolean": .boolean(true),
        "string": .string("text é"),
        "object": .object(["inner": .null]),
        "null": .null,
        "undefined": .undefined,
        "ecma": .ecmaArray(["k": .string("v")]),
        "strict": .strictArray([.number(1), .undefined]),
        "date": .date(millisecondsSince1970: 1.5e12, timeZone: 0),
        "xml": .xmlDocument("<a/>"),
        "typed": .typedObject(className: "T", ["f": .boolean(false)]),
        "amf3": .avmPlus(.object(className: "", members: [AMF3Property(name: "i", value: .integer(300))])),
    ])

    static let truncationSamples: [AMF0Value] = [
        everyKind,
        // Alone, as every prefix of a 65,536-byte body inside `everyKind` would be slow to test.
        .string(String(repeating: "L", count: 65_536)),
        .number(1),
        .date(millisecondsSince1970: 0, timeZone: 1),
        .typedObject(className: "Class", ["x": .ecmaArray(["": .number(1)])]),
        .strictArray([.avmPlus(.array(associative: [AMF3Property(name: "a", value: .null)], dense: [.string("d")]))]),
    ]

    @Test(arguments: truncationSamples)
    func everyPrefixIsTruncated(_ value: AMF0Value) {
        var encoded = ByteBuffer()
        encoded.writeAMF0Value(value)
        #expect(truncationProblems(in: encoded, reader: .amf0Value) == [])
    }

    @Test
    func everyPrefixOfTheConnectBodyIsTruncatedOrShort() {
        let bytes = AMF0VectorTests.connectBody
        for length in 0..<bytes.count {
            var buffer = ByteBuffer(bytes: Array(bytes[..<length]))
            do throws(AMFDecodingError) {
                // A prefix ending between values is a valid, shorter body.
                let values = try buffer.readAMF0Values()
                #expect([0, 10, 19].contains(length), "prefix \(length) decoded")
                #expect(values == Array(AMF0VectorTests.connectValues.prefix(values.count)))
            } catch {
                #expect(error.code == .truncated)
                #expect(buffer.readerIndex == 0)
            }
        }
    }

    @Test
    func everyPrefixOfTheMetadataArrayIsTruncated() {
        let body = AMF0VectorTests.setDataFrameBody(count: 13)
        let arrayStart = Bytes.string("@setDataFrame").count + Bytes.string("onMetaData").count
        #expect(truncationProblems(in: ByteBuffer(bytes: body[arrayStart...]), reader: .amf0Value) == [])
        #expect(truncationProblems(in: ByteBuffer(bytes: body[arrayStart...]), reader: .amf0Values) == [])
    }

    @Test(arguments: [UInt8(0x12), 0x20, 0x7F, 0xFF])
    func unknownMarker(_ marker: UInt8) {
        expectDecodingError(.unknownMarker(marker), [marker])
        expectDecodingError(.unknownMarker(marker), [0x03] + Bytes.name("p") + [marker, 0x00])
    }

    @Test(arguments: [UInt8(0x04), 0x0D, 0x0E])
    func unsupportedMarker(_ marker: UInt8) {
        expectDecodingError(.unsupportedMarker(marker), [marker])
        expectDecodingError(.unsupportedMarker(marker), [0x0A] + Bytes.uint32(1) + [marker])
    }

    @Test
    func objectEndWhereAValueBelongs() {
        expectDecodingError(.unexpectedObjectEnd, [0x09])
        expectDecodingError(.unexpectedObjectEnd, [0x0A] + Bytes.uint32(1) + [0x09])
        expectDecodingError(.unexpectedObjectEnd, [0x03] + Bytes.name("p") + [0x09])
    }

    @Test
    func objectWithoutEndIsTruncated() {
        expectDecodingError(.truncated, [0x03] + Bytes.name("p") + [0x05])
        expectDecodingError(.truncated, [0x03, 0x00, 0x00])
        expectDecodingError(.truncated, [0x08] + Bytes.uint32(0))
    }

    @Test
    func strictArrayCountBeyondTheInput() {
        expectDecodingError(.truncated, [0x0A] + Bytes.uint32(3) + [0x05, 0x05])
        expectDecodingError(.truncated, [0x0A] + Bytes.uint32(.max) + [0x05])
    }

    @Test
    func referenceOutOfRange() {
        expectDecodingError(.invalidReference, [0x07, 0x00, 0x00])
        expectDecodingError(
            .invalidReference,
            [0x0A] + Bytes.uint32(2) + [0x03] + Bytes.objectEnd + [0x07, 0x00, 0x02]
        )
        expectDecodingError(.invalidReference, [0x0A] + Bytes.uint32(1) + [0x07, 0xFF, 0xFF])
    }

    @Test
    func referenceToAValueStillBeingDecoded() {
        // An object that contains itself: a cycle a value tree cannot hold.
        expectDecodingError(.invalidReference, [0x03] + Bytes.name("self") + [0x07, 0x00, 0x00] + Bytes.objectEnd)
    }

    @Test
    func invalidUTF8() {
        let invalidSequences: [[UInt8]] = [
            [0xFF],
            [0xC3, 0x28],  // bad continuation
            [0xC0, 0x80],  // overlong NUL
            [0xED, 0xA0, 0x80],  // UTF-16 surrogate
            [0xE2, 0x82],  // cut short
            [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
        ]
        for sequence in invalidSequences {
            let count = UInt8(sequence.count)
            expectDecodingError(.invalidUTF8, [0x02, 0x00, count] + sequence)
            expectDecodingError(.invalidUTF8, [0x0C, 0, 0, 0, count] + sequence)
            expectDecodingError(.invalidUTF8, [0x0F, 0, 0, 0, count] + sequence)
            expectDecodingError(.invalidUTF8, [0x03, 0x00, count] + sequence + [0x05] + Bytes.objectEnd)
            expectDecodingError(.invalidUTF8, [0x10, 0x00, count] + sequence + Bytes.objectEnd)
        }
    }

    @Test
    func failedReadOfLaterValueRestoresTheWholeBody() {
        expectDecodingError(.truncated, Bytes.string("ok") + [0x00, 0x3F], reader: .amf0Values)
        expectDecodingError(.unknownMarker(0xFF), Bytes.string("ok") + [0xFF], reader: .amf0Values)
    }

    @Test
    func errorsCompareByCodeAndDescribeThemselves() {
        let first = AMFDecodingError(.truncated, file: "A.swift", line: 1)
        let second = AMFDecodingError(.truncated, file: "B.swift", line: 2)
        #expect(first == second)
        #expect(first.hashValue == second.hashValue)
        #expect(first != AMFDecodingError(.stringTooLong))
        #expect(first.description == "AMFDecodingError.truncated (A.swift:1)")
        #expect(AMFDecodingError.Code.unknownMarker(0x1F).description == "unknownMarker(0x1F)")
        #expect(AMFDecodingError.Code.unknownMarker(1) != .unknownMarker(2))
        #expect(AMFDecodingError.Code.unsupportedMarker(4) != .unknownMarker(4))
    }
}
