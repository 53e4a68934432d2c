import NIOCore
import Testing

@testable import AMF

struct AMFDecodingLimitsTests {
    /// `depth` AMF0 objects, each the value of property "a" of the one outside it.
    static func nestedAMF0Objects(depth: Int) -> [UInt8] {
        Array(repeating: [0x03] + Bytes.name("a"), count: depth).flatMap { $0 }
            + [0x05]
            + Array(repeating: Bytes.objectEnd, count: depth).flatMap { $0 }
    }

    /// `depth` AMF0 strict arrays, each the only element of the one outside it.
    static func nestedAMF0StrictArrays(depth: Int) -> [UInt8] {
        Array(repeating: [0x0A] + Bytes.uint32(1), count: depth).flatMap { $0 } + [0x05]
    }

    /// `depth` AMF3 arrays, each the only dense element of the one outside it.
    static func nestedAMF3Arrays(depth: Int) -> [UInt8] {
        Array(repeating: [0x09, 0x03, 0x01], count: depth).flatMap { $0 } + [0x01]
    }

    /// `depth` AMF3 anonymous objects, each the dynamic member "a" of the one outside it.
    static func nestedAMF3Objects(depth: Int) -> [UInt8] {
        Array(repeating: [0x0A, 0x0B, 0x01, 0x03, 0x61], count: depth).flatMap { $0 }
            + [0x01]
            + Array(repeating: 0x01, count: depth)
    }

    @Test
    func defaults() {
        let limits = AMFDecodingLimits.default
        #expect(limits.maxDepth == 64)
        #expect(limits.maxElements == 65_536)
        #expect(limits.maxStringLength == 1 << 20)
        #expect(limits == AMFDecodingLimits())
    }

    @Test
    func tenThousandLevelsFailCleanly() {
        expectDecodingError(.depthExceeded, Self.nestedAMF0Objects(depth: 10_000))
        expectDecodingError(.depthExceeded, Self.nestedAMF0StrictArrays(depth: 10_000))
        expectDecodingError(.depthExceeded, Self.nestedAMF3Arrays(depth: 10_000), reader: .amf3Value)
        expectDecodingError(.depthExceeded, Self.nestedAMF3Objects(depth: 10_000), reader: .amf3Value)
        expectDecodingError(.depthExceeded, [0x11] + Self.nestedAMF3Arrays(depth: 10_000))
        expectDecodingError(
            .depthExceeded,
            Bytes.string("cmd") + Self.nestedAMF0Objects(depth: 10_000),
            reader: .amf0Values
        )
    }

    @Test
    func elementLimitStopsDeepInputUnderALargeDepthLimit() {
        let limits = AMFDecodingLimits(maxDepth: 20_000, maxElements: 100)
        expectDecodingError(.tooManyElements, Self.nestedAMF0StrictArrays(depth: 10_000), limits: limits)
    }

    @Test
    func defaultDepthIsExactlySixtyFour() throws {
        #expect(try decodeAMF0(Self.nestedAMF0Objects(depth: 64)) != .null)
        expectDecodingError(.depthExceeded, Self.nestedAMF0Objects(depth: 65))
        #expect(try decodeAMF0(Self.nestedAMF0StrictArrays(depth: 64)) != .null)
        expectDecodingError(.depthExceeded, Self.nestedAMF0StrictArrays(depth: 65))
        #expect(try decodeAMF3(Self.nestedAMF3Arrays(depth: 64)) != .null)
        expectDecodingError(.depthExceeded, Self.nestedAMF3Arrays(depth: 65), reader: .amf3Value)
        #expect(try decodeAMF3(Self.nestedAMF3Objects(depth: 64)) != .null)
        expectDecodingError(.depthExceeded, Self.nestedAMF3Objects(depth: 65), reader: .amf3Value)
    }

    @Test
    func avmPlusCountsTowardTheSameDepth() throws {
        let bytes =
            Array(repeating: [0x0A] + Bytes.uint32(1), count: 2).flatMap { $0 } + [0x11]
            + Self.nestedAMF3Arrays(depth: 2)
        #expect(try decodeAMF0(bytes, limits: AMFDecodingLimits(maxDepth: 4)) != .null)
        expectDecodingError(.depthExceeded, bytes, limits: AMFDecodingLimits(maxDepth: 3))
    }

    @Test
    func deeplyNestedValueRoundTripsAtTheLimit() throws {
        var value = AMF0Value.null
        for _ in 0..<64 {
            value = .object(["a": value])
        }
        var buffer = ByteBuffer()
        buffer.writeAMF0Value(value)
        #expect(Array(buffer.readableBytesView) == Self.nestedAMF0Objects(depth: 64))
        #expect(try buffer.readAMF0Value() == value)
    }

    @Test
    func tooManyElements() throws {
        // A strict array of 65,536 nulls is 65,537 values.
        let nulls = [0x0A] + Bytes.uint32(65_536) + Array(repeating: UInt8(0x05), count: 65_536)
        expectDecodingError(.tooManyElements, nulls)
        #expect(try decodeAMF0(nulls, limits: AMFDecodingLimits(maxElements: 65_537)).arrayValue?.count == 65_536)

        let threeValues: [UInt8] = [0x0A] + Bytes.uint32(2) + [0x05, 0x06]
        #expect(
            try decodeAMF0(threeValues, limits: AMFDecodingLimits(maxElements: 3)) == .strictArray([.null, .undefined])
        )
        expectDecodingError(.tooManyElements, threeValues, limits: AMFDecodingLimits(maxElements: 2))

        let objectProperties: [UInt8] = [0x03] + Bytes.name("a") + [0x05] + Bytes.name("b") + [0x05] + Bytes.objectEnd
        expectDecodingError(.tooManyElements, objectProperties, limits: AMFDecodingLimits(maxElements: 2))

        let amf3: [UInt8] = [0x09, 0x05, 0x03, 0x61, 0x01, 0x01, 0x01, 0x01]
        #expect(try decodeAMF3(amf3, limits: AMFDecodingLimits(maxElements: 4)) != .null)
        expectDecodingError(.tooManyElements, amf3, reader: .amf3Value, limits: AMFDecodingLimits(maxElements: 3))
    }

    @Test
    func elementsAreCountedAcrossTheValuesOfOneBody() {
        expectDecodingError(
            .tooManyElements,
            [0x05, 0x05, 0x05],
            reader: .amf0Values,
            limits: AMFDecodingLimits(maxElements: 2)
        )
    }

    @Test
    func hugeCountsFailWithoutAllocating() {
        expectDecodingError(.truncated, [0x0A] + Bytes.uint32(.max))
        expectDecodingError(.truncated, [0x09, 0xBF, 0xFF, 0xFF, 0xFF], reader: .amf3Value)
        expectDecodingError(.truncated, [0x0C, 0xBF, 0xFF, 0xFF, 0xFF], reader: .amf3Value)
        expectDecodingError(.truncated, [0x0A, 0xBF, 0xFF, 0xFF, 0xFB, 0x01], reader: .amf3Value)
    }

    @Test
    func referencesAreChargedForEverythingTheyRepeat() throws {
        // Strict array (0) of object (1) {a: null} and two references to it: 1 + 2 + 2 + 2 values.
        let bytes: [UInt8] =
            [0x0A] + Bytes.uint32(3)
            + [0x03] + Bytes.name("a") + [0x05] + Bytes.objectEnd
            + [0x07, 0x00, 0x01, 0x07, 0x00, 0x01]
        #expect(try decodeAMF0(bytes, limits: AMFDecodingLimits(maxElements: 7)).arrayValue?.count == 3)
        expectDecodingError(.tooManyElements, bytes, limits: AMFDecodingLimits(maxElements: 6))

        // AMF3: array (0) of an array (1) holding an integer, then a reference to it: 1 + 2 + 2.
        let amf3: [UInt8] = [0x09, 0x05, 0x01, 0x09, 0x03, 0x01, 0x04, 0x01, 0x09, 0x02]
        #expect(try decodeAMF3(amf3, limits: AMFDecodingLimits(maxElements: 5)) != .null)
        expectDecodingError(.tooManyElements, amf3, reader: .amf3Value, limits: AMFDecodingLimits(maxElements: 4))
    }

    @Test
    func referencesAreChargedForTheDepthTheyRepeat() throws {
        // Object {x: {y: {}}, z: {r: reference to x's value}}: x's value has height 2, placed at depth 2.
        let bytes: [UInt8] =
            [0x03]
            + Bytes.name("x") + [0x03] + Bytes.name("y") + [0x03] + Bytes.objectEnd + Bytes.objectEnd
            + Bytes.name("z") + [0x03] + Bytes.name("r") + [0x07, 0x00, 0x01] + Bytes.objectEnd
            + Bytes.objectEnd
        #expect(try decodeAMF0(bytes, limits: AMFDecodingLimits(maxDepth: 4)) != .null)
        expectDecodingError(.depthExceeded, bytes, limits: AMFDecodingLimits(maxDepth: 3))

        // AMF3: array (0) [array (1) [array (2) []], array [reference 1]].
        let amf3: [UInt8] = [0x09, 0x05, 0x01, 0x09, 0x03, 0x01, 0x09, 0x01, 0x01, 0x09, 0x03, 0x01, 0x09, 0x02]
        #expect(try decodeAMF3(amf3, limits: AMFDecodingLimits(maxDepth: 4)) != .null)
        expectDecodingError(.depthExceeded, amf3, reader: .amf3Value, limits: AMFDecodingLimits(maxDepth: 3))
    }

    @Test
    func exponentialReferenceChainsAreBounded() throws {
        // Each strict array holds two references to the previous one: 2^n values if expanded.
        var bytes: [UInt8] = [0x0A] + Bytes.uint32(40) + [0x0A] + Bytes.uint32(0)
        for index in 1..<40 {
            bytes += [0x0A] + Bytes.uint32(2) + [0x07, 0x00, UInt8(index), 0x07, 0x00, UInt8(index)]
        }
        expectDecodingError(.tooManyElements, bytes)
        expectDecodingError(.depthExceeded, bytes, limits: AMFDecodingLimits(maxDepth: 20, maxElements: .max))
        // Charging is arithmetic, not expansion: 2^40 values are accounted for at once.
        let unbounded = AMFDecodingLimits(maxDepth: 100, maxElements: .max)
        let count = try decodeAMF0(bytes, limits: unbounded).arrayValue?.count
        #expect(count == 40)
    }

    @Test
    func stringTooLong() throws {
        let limits = AMFDecodingLimits(maxStringLength: 3)
        #expect(try decodeAMF0(Bytes.string("abc"), limits: limits) == .string("abc"))
        expectDecodingError(.stringTooLong, Bytes.string("abcd"), limits: limits)
        expectDecodingError(.stringTooLong, [0x0C] + Bytes.uint32(4) + Bytes.utf8("abcd"), limits: limits)
        expectDecodingError(.stringTooLong, [0x0F] + Bytes.uint32(4) + Bytes.utf8("abcd"), limits: limits)
        expectDecodingError(.stringTooLong, [0x03] + Bytes.name("abcd") + [0x05] + Bytes.objectEnd, limits: limits)
        expectDecodingError(.stringTooLong, [0x10] + Bytes.name("abcd") + Bytes.objectEnd, limits: limits)
        #expect(try decodeAMF3([0x06, 0x07] + Bytes.utf8("abc"), limits: limits) == .string("abc"))
        expectDecodingError(.stringTooLong, [0x06, 0x09] + Bytes.utf8("abcd"), reader: .amf3Value, limits: limits)
        expectDecodingError(.stringTooLong, [0x07, 0x09] + Bytes.utf8("abcd"), reader: .amf3Value, limits: limits)
        expectDecodingError(.stringTooLong, [0x0B, 0x09] + Bytes.utf8("abcd"), reader: .amf3Value, limits: limits)
        expectDecodingError(
            .stringTooLong,
            [0x0A, 0x0B, 0x09] + Bytes.utf8("abcd") + [0x01],
            reader: .amf3Value,
            limits: limits
        )
    }

    @Test
    func defaultStringLimitIsOneMebibyte() throws {
        let atLimit = [0x0C] + Bytes.uint32(1 << 20) + Array(repeating: UInt8(0x61), count: 1 << 20)
        #expect(try decodeAMF0(atLimit).stringValue?.utf8.count == 1 << 20)
        // The length alone is refused: the bytes need not be there.
        expectDecodingError(.stringTooLong, [0x0C] + Bytes.uint32(1 << 20 + 1))
        expectDecodingError(.stringTooLong, [0x0C] + Bytes.uint32(.max))
    }
}
