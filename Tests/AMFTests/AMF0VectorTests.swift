import NIOCore
import Testing

@testable import AMF

/// Byte vectors written from the AMF0 specification's layout, shaped like what real publishers send.
struct AMF0VectorTests {
    /// The `connect` command body OBS and ffmpeg send: command name, transaction ID 1, command object.
    static let connectBody: [UInt8] =
        Bytes.string("connect")
        + [0x00, 0x3F, 0xF0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]  // number 1
        + [0x03]  // object
        + Bytes.name("app") + Bytes.string("live")
        + Bytes.name("type") + Bytes.string("nonprivate")
        + Bytes.name("flashVer") + Bytes.string("FMLE/3.0 (compatible; FMSc/1.0)")
        + Bytes.name("swfUrl") + Bytes.string("rtmp://127.0.0.1:1935/live")
        + Bytes.name("tcUrl") + Bytes.string("rtmp://127.0.0.1:1935/live")
        + Bytes.name("fpad") + [0x01, 0x00]  // false
        + Bytes.name("capabilities") + [0x00, 0x40, 0x2E, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]  // 15
        + Bytes.name("audioCodecs") + [0x00, 0x40, 0xAF, 0xCE, 0x00, 0x00, 0x00, 0x00, 0x00]  // 4071
        + Bytes.name("videoCodecs") + [0x00, 0x40, 0x6F, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00]  // 252
        + Bytes.name("videoFunction") + [0x00, 0x3F, 0xF0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]  // 1
        + Bytes.name("objectEncoding") + [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]  // 0
        + Bytes.objectEnd

    static let connectValues: [AMF0Value] = [
        .string("connect"),
        .number(1),
        .object([
            "app": .string("live"),
            "type": .string("nonprivate"),
            "flashVer": .string("FMLE/3.0 (compatible; FMSc/1.0)"),
            "swfUrl": .string("rtmp://127.0.0.1:1935/live"),
            "tcUrl": .string("rtmp://127.0.0.1:1935/live"),
            "fpad": .boolean(false),
            "capabilities": .number(15),
            "audioCodecs": .number(4071),
            "videoCodecs": .number(252),
            "videoFunction": .number(1),
            "objectEncoding": .number(0),
        ]),
    ]

    /// The `@setDataFrame` data message body ffmpeg's FLV muxer sends before media:
    /// `@setDataFrame`, `onMetaData`, then an ECMA array whose count is `count`.
    static func setDataFrameBody(count: UInt32) -> [UInt8] {
        Bytes.string("@setDataFrame")
            + Bytes.string("onMetaData")
            + [0x08] + Bytes.uint32(count)
            + Bytes.name("duration") + [0x00, 0, 0, 0, 0, 0, 0, 0, 0]  // 0
            + Bytes.name("width") + [0x00, 0x40, 0x94, 0x00, 0, 0, 0, 0, 0]  // 1280
            + Bytes.name("height") + [0x00, 0x40, 0x86, 0x80, 0, 0, 0, 0, 0]  // 720
            + Bytes.name("videodatarate") + [0x00, 0x40, 0xA3, 0x88, 0, 0, 0, 0, 0]  // 2500
            + Bytes.name("framerate") + [0x00, 0x40, 0x3E, 0x00, 0, 0, 0, 0, 0]  // 30
            + Bytes.name("videocodecid") + [0x00, 0x40, 0x1C, 0x00, 0, 0, 0, 0, 0]  // 7 (AVC)
            + Bytes.name("audiodatarate") + [0x00, 0x40, 0x60, 0x00, 0, 0, 0, 0, 0]  // 128
            + Bytes.name("audiosamplerate") + [0x00, 0x40, 0xE5, 0x88, 0x80, 0, 0, 0, 0]  // 44100
            + Bytes.name("audiosamplesize") + [0x00, 0x40, 0x30, 0x00, 0, 0, 0, 0, 0]  // 16
            + Bytes.name("stereo") + [0x01, 0x01]  // true
            + Bytes.name("audiocodecid") + [0x00, 0x40, 0x24, 0x00, 0, 0, 0, 0, 0]  // 10 (AAC)
            + Bytes.name("encoder") + Bytes.string("Lavf61.7.100")
            + Bytes.name("filesize") + [0x00, 0, 0, 0, 0, 0, 0, 0, 0]  // 0
            + Bytes.objectEnd
    }

    static let metadata: AMFObject = [
        "duration": .number(0),
        "width": .number(1280),
        "height": .number(720),
        "videodatarate": .number(2500),
        "framerate": .number(30),
        "videocodecid": .number(7),
        "audiodatarate": .number(128),
        "audiosamplerate": .number(44100),
        "audiosamplesize": .number(16),
        "stereo": .boolean(true),
        "audiocodecid": .number(10),
        "encoder": .string("Lavf61.7.100"),
        "filesize": .number(0),
    ]

    @Test
    func connectCommand() throws {
        var buffer = ByteBuffer(bytes: Self.connectBody)
        let values = try buffer.readAMF0Values()
        #expect(values == Self.connectValues)
        #expect(buffer.readableBytes == 0)
        #expect(values[2].objectValue?["tcUrl"]?.stringValue == "rtmp://127.0.0.1:1935/live")
        #expect(values[2].objectValue?["objectEncoding"]?.numberValue == 0)
        #expect(values[1].numberValue == 1)
    }

    @Test
    func connectCommandIsWrittenByteForByte() {
        var buffer = ByteBuffer()
        for value in Self.connectValues {
            buffer.writeAMF0Value(value)
        }
        #expect(Array(buffer.readableBytesView) == Self.connectBody)
    }

    @Test
    func connectCommandReadOneValueAtATime() throws {
        var buffer = ByteBuffer(bytes: Self.connectBody)
        #expect(try buffer.readAMF0Value() == .string("connect"))
        #expect(buffer.readerIndex == 10)
        #expect(try buffer.readAMF0Value() == .number(1))
        #expect(buffer.readerIndex == 19)
        #expect(try buffer.readAMF0Value() == Self.connectValues[2])
        #expect(buffer.readableBytes == 0)
    }

    @Test
    func setDataFrameAsFFmpegSendsIt() throws {
        var buffer = ByteBuffer(bytes: Self.setDataFrameBody(count: 13))
        let values = try buffer.readAMF0Values()
        #expect(values == [.string("@setDataFrame"), .string("onMetaData"), .ecmaArray(Self.metadata)])
        #expect(values[2].objectValue?["width"]?.numberValue == 1280)
        #expect(values[2].objectValue?["stereo"]?.booleanValue == true)
    }

    @Test
    func setDataFrameIsWrittenByteForByte() {
        var buffer = ByteBuffer()
        buffer.writeAMF0Value(.string("@setDataFrame"))
        buffer.writeAMF0Value(.string("onMetaData"))
        buffer.writeAMF0Value(.ecmaArray(Self.metadata))
        #expect(Array(buffer.readableBytesView) == Self.setDataFrameBody(count: 13))
    }

    @Test(arguments: [UInt32(0), 1, 12, 14, 1_000, .max])
    func ecmaArrayCountIsAdvisory(count: UInt32) throws {
        var buffer = ByteBuffer(bytes: Self.setDataFrameBody(count: count))
        #expect(try buffer.readAMF0Values().last == .ecmaArray(Self.metadata))
    }

    @Test
    func emptyBodyHasNoValues() throws {
        var buffer = ByteBuffer()
        #expect(try buffer.readAMF0Values() == [])
    }

    @Test
    func referenceResolvesToAnEarlierObject() throws {
        // Strict array (table index 0) of an object (index 1) and a reference to index 1.
        let bytes: [UInt8] =
            [0x0A] + Bytes.uint32(2)
            + [0x03] + Bytes.name("a") + [0x05] + Bytes.objectEnd
            + [0x07, 0x00, 0x01]
        #expect(try decodeAMF0(bytes) == .strictArray([.object(["a": .null]), .object(["a": .null])]))
    }

    @Test
    func referenceTableNumbersEveryComplexKind() throws {
        // Index 0: the outer object; 1: typed object; 2: ECMA array; 3: strict array.
        let bytes: [UInt8] =
            [0x03]
            + Bytes.name("t") + [0x10] + Bytes.name("C") + Bytes.objectEnd
            + Bytes.name("e") + [0x08] + Bytes.uint32(0) + Bytes.objectEnd
            + Bytes.name("s") + [0x0A] + Bytes.uint32(0)
            + Bytes.name("r1") + [0x07, 0x00, 0x01]
            + Bytes.name("r2") + [0x07, 0x00, 0x02]
            + Bytes.name("r3") + [0x07, 0x00, 0x03]
            + Bytes.objectEnd
        let typed = AMF0Value.typedObject(className: "C", [:])
        #expect(
            try decodeAMF0(bytes)
                == .object([
                    "t": typed, "e": .ecmaArray([:]), "s": .strictArray([]),
                    "r1": typed, "r2": .ecmaArray([:]), "r3": .strictArray([]),
                ])
        )
    }

    @Test
    func referencesSpanTheValuesOfOneMessage() throws {
        var buffer = ByteBuffer(bytes: [0x03] + Bytes.name("k") + [0x06] + Bytes.objectEnd + [0x07, 0x00, 0x00])
        #expect(try buffer.readAMF0Values() == [.object(["k": .undefined]), .object(["k": .undefined])])
    }

    @Test
    func referenceTablesStartEmptyForEachReadAMF0ValueCall() throws {
        var buffer = ByteBuffer(bytes: [0x03] + Bytes.objectEnd + [0x07, 0x00, 0x00])
        #expect(try buffer.readAMF0Value() == .object([:]))
        expectDecodingError(.invalidReference, Array(buffer.readableBytesView))
    }

    @Test
    func emptyPropertyNameBeforeAValueIsAProperty() throws {
        let bytes: [UInt8] = [0x03] + Bytes.name("") + Bytes.string("v") + Bytes.objectEnd
        #expect(try decodeAMF0(bytes) == .object(["": .string("v")]))
    }

    @Test
    func avmPlusSwitchesOneValueToAMF3() throws {
        var buffer = ByteBuffer(
            bytes: [0x11, 0x04, 0x05, 0x11, 0x06, 0x05] + Bytes.utf8("ab") + [0x00, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0]
        )
        #expect(try buffer.readAMF0Values() == [.avmPlus(.integer(5)), .avmPlus(.string("ab")), .number(1)])
    }

    @Test
    func eachAVMPlusValueHasFreshAMF3Tables() {
        // The second AVM+ value refers to string 0, which only the first one defined.
        expectDecodingError(.invalidReference, [0x11, 0x06, 0x03, 0x61, 0x11, 0x06, 0x00], reader: .amf0Values)
    }

    @Test
    func nonZeroBooleanIsTrue() throws {
        #expect(try decodeAMF0([0x01, 0x02]) == .boolean(true))
    }

    @Test
    func longStringMarkerDecodesToString() throws {
        #expect(try decodeAMF0([0x0C, 0, 0, 0, 2, 0x68, 0x69]) == .string("hi"))
    }

    @Test
    func accessors() {
        #expect(AMF0Value.string("s").stringValue == "s")
        #expect(AMF0Value.number(1).stringValue == nil)
        #expect(AMF0Value.number(2).numberValue == 2)
        #expect(AMF0Value.boolean(true).booleanValue == true)
        #expect(AMF0Value.null.booleanValue == nil)
        #expect(AMF0Value.object(["a": .null]).objectValue == ["a": .null])
        #expect(AMF0Value.ecmaArray(["b": .null]).objectValue == ["b": .null])
        #expect(AMF0Value.typedObject(className: "C", ["c": .null]).objectValue == ["c": .null])
        #expect(AMF0Value.strictArray([.null]).objectValue == nil)
        #expect(AMF0Value.strictArray([.null]).arrayValue == [.null])
        #expect(AMF0Value.null.isNullOrUndefined)
        #expect(AMF0Value.undefined.isNullOrUndefined)
        #expect(!AMF0Value.number(0).isNullOrUndefined)
    }
}
