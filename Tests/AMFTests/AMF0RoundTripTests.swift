import NIOCore
import Testing

@testable import AMF

struct AMF0RoundTripTests {
    static let nested: AMFObject = [
        "level": .number(1),
        "child": .object(["level": .number(2), "child": .object(["level": .number(3)])]),
        "list": .strictArray([.object(["a": .null]), .ecmaArray(["b": .undefined])]),
    ]

    static let values: [AMF0Value] = [
        .number(0),
        .number(-0.5),
        .number(1.5e300),
        .number(.infinity),
        .number(-.infinity),
        .number(.leastNonzeroMagnitude),
        .boolean(true),
        .boolean(false),
        .string(""),
        .string("connect"),
        .string("héllo, 世界 🎥"),
        .string("nul\u{0}inside"),
        .string(String(repeating: "a", count: 65_535)),
        .string(String(repeating: "b", count: 65_536)),
        .string(String(repeating: "é", count: 40_000)),
        .object([:]),
        .object(["app": .string("live"), "n": .number(1), "flag": .boolean(false)]),
        .object(nested),
        .object(["": .string("empty name"), "x": .null]),
        .object(["dup": .number(1), "dup": .number(2)]),
        .null,
        .undefined,
        .ecmaArray([:]),
        .ecmaArray(["duration": .number(10), "encoder": .string("Lavf"), "nested": .ecmaArray(["x": .number(1)])]),
        .strictArray([]),
        .strictArray([.number(1), .string("two"), .null, .undefined, .strictArray([.boolean(true)])]),
        .date(millisecondsSince1970: 0, timeZone: 0),
        .date(millisecondsSince1970: 1.5e12, timeZone: 0),
        .date(millisecondsSince1970: -86_400_000, timeZone: -60),
        .xmlDocument(""),
        .xmlDocument("<a b=\"c\">d</a>"),
        .typedObject(className: "", [:]),
        .typedObject(className: "com.example.Point", ["x": .number(1), "y": .number(2)]),
        .typedObject(className: "Outer", ["inner": .typedObject(className: "Inner", ["v": .string("w")])]),
        .avmPlus(.integer(-1)),
        .avmPlus(.string("amf3")),
        .avmPlus(.array(associative: [AMF3Property(name: "k", value: .true)], dense: [.null, .double(2.5)])),
        .avmPlus(.object(className: "T", members: [AMF3Property(name: "m", value: .xml("<x/>"))])),
        .strictArray([
            .avmPlus(.undefined), .avmPlus(.byteArray([1, 2, 3])),
            .object(["d": .avmPlus(.date(millisecondsSince1970: 5))]),
        ]),
    ]

    @Test(arguments: values)
    func roundTrip(_ value: AMF0Value) throws {
        var buffer = ByteBuffer()
        let written = buffer.writeAMF0Value(value)
        #expect(written == buffer.readableBytes)
        #expect(try buffer.readAMF0Value() == value)
        #expect(buffer.readableBytes == 0)
    }

    @Test
    func roundTripOfSeveralValues() throws {
        var buffer = ByteBuffer()
        for value in Self.values {
            buffer.writeAMF0Value(value)
        }
        #expect(try buffer.readAMF0Values() == Self.values)
        #expect(buffer.readableBytes == 0)
    }

    @Test(arguments: [(0, UInt8(0x02)), (1, 0x02), (65_535, 0x02), (65_536, 0x0C), (100_000, 0x0C)])
    func stringMarkerDependsOnUTF8Length(length: Int, marker: UInt8) throws {
        var buffer = ByteBuffer()
        let written = buffer.writeAMF0Value(.string(String(repeating: "z", count: length)))
        #expect(buffer.getInteger(at: 0, as: UInt8.self) == marker)
        #expect(written == 1 + (marker == 0x02 ? 2 : 4) + length)
    }

    @Test
    func stringLengthCountsUTF8BytesNotCharacters() throws {
        // 21,846 three-byte characters: 65,538 UTF-8 bytes, so a long string.
        let value = AMF0Value.string(String(repeating: "世", count: 21_846))
        var buffer = ByteBuffer()
        buffer.writeAMF0Value(value)
        #expect(buffer.getInteger(at: 0, as: UInt8.self) == 0x0C)
        #expect(buffer.getInteger(at: 1, endianness: .big, as: UInt32.self) == 65_538)
        #expect(try buffer.readAMF0Value() == value)
    }

    @Test
    func ecmaArrayIsWrittenWithItsCount() {
        var buffer = ByteBuffer()
        buffer.writeAMF0Value(.ecmaArray(["a": .null, "b": .null, "c": .null]))
        let expected: [UInt8] =
            [0x08] + Bytes.uint32(3)
            + Bytes.name("a") + [0x05] + Bytes.name("b") + [0x05] + Bytes.name("c") + [0x05]
            + Bytes.objectEnd
        #expect(buffer.readableBytesView.elementsEqual(expected))
    }

    @Test
    func scalarsAreWrittenAsTheSpecificationLaysThemOut() {
        func encoded(_ value: AMF0Value) -> [UInt8] {
            var buffer = ByteBuffer()
            buffer.writeAMF0Value(value)
            return Array(buffer.readableBytesView)
        }
        #expect(encoded(.number(1)) == [0x00, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0])
        #expect(encoded(.boolean(true)) == [0x01, 0x01])
        #expect(encoded(.boolean(false)) == [0x01, 0x00])
        #expect(encoded(.string("ab")) == [0x02, 0x00, 0x02, 0x61, 0x62])
        #expect(encoded(.null) == [0x05])
        #expect(encoded(.undefined) == [0x06])
        #expect(encoded(.object([:])) == [0x03, 0x00, 0x00, 0x09])
        #expect(encoded(.strictArray([.null])) == [0x0A, 0, 0, 0, 1, 0x05])
        #expect(
            encoded(.date(millisecondsSince1970: 1, timeZone: -2)) == [0x0B, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFE]
        )
        #expect(encoded(.xmlDocument("<a/>")) == [0x0F, 0, 0, 0, 4] + Bytes.utf8("<a/>"))
        #expect(encoded(.typedObject(className: "C", [:])) == [0x10, 0x00, 0x01, 0x43] + Bytes.objectEnd)
        #expect(encoded(.avmPlus(.true)) == [0x11, 0x03])
    }
}
