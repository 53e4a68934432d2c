import AMF
import FuzzSupport
import NIOCore

// Decodes arbitrary bytes as AMF0 values (a command or data message body) and as one AMF3
// value. Errors are expected; crashes and traps are not. Whatever decodes must re-encode to
// bytes that decode again, within the same limits, to a value that encodes to the same bytes;
// and whatever decodes within tight limits must decode to the same value within the defaults.

/// Limits small enough that fuzzed input reaches every limit check.
let tightLimits = AMFDecodingLimits(maxDepth: 4, maxElements: 64, maxStringLength: 256)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAMF(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = ByteBuffer()
    input.writeBytes(UnsafeBufferPointer(start: data, count: size))

    let amf0 = checkAMF0(input, limits: .default)
    let tightAMF0 = checkAMF0(input, limits: tightLimits)
    if let tightAMF0 {
        precondition(amf0 == tightAMF0, "AMF0 decodes within tight limits but differently within the defaults")
    }

    let amf3 = checkAMF3(input, limits: .default)
    let tightAMF3 = checkAMF3(input, limits: tightLimits)
    if let tightAMF3 {
        precondition(amf3 == tightAMF3, "AMF3 decodes within tight limits but differently within the defaults")
    }
    return 0
}

/// Decodes `input` as AMF0 values and checks the round trip.
/// - Returns: The encoding of the decoded values (compared as bytes, since NaN ≠ NaN), or `nil`.
func checkAMF0(_ input: ByteBuffer, limits: AMFDecodingLimits) -> ByteBuffer? {
    var buffer = input
    guard let values = try? buffer.readAMF0Values(limits: limits) else {
        precondition(buffer == input, "a failed AMF0 decode moved the reader index")
        return nil
    }
    precondition(buffer.readableBytes == 0, "readAMF0Values left \(buffer.readableBytes) bytes")

    var encoded = ByteBuffer()
    for value in values {
        encoded.writeAMF0Value(value)
    }
    var again = encoded
    let decodedAgain: [AMF0Value]
    do {
        decodedAgain = try again.readAMF0Values(limits: limits)
    } catch {
        preconditionFailure("re-encoded AMF0 does not decode: \(error)")
    }
    var reencoded = ByteBuffer()
    for value in decodedAgain {
        reencoded.writeAMF0Value(value)
    }
    precondition(reencoded == encoded, "AMF0 round trip is not stable")
    return encoded
}

/// Decodes the start of `input` as one AMF3 value and checks the round trip.
/// - Returns: The encoding of the decoded value, or `nil`.
func checkAMF3(_ input: ByteBuffer, limits: AMFDecodingLimits) -> ByteBuffer? {
    var buffer = input
    guard let value = try? buffer.readAMF3Value(limits: limits) else {
        precondition(buffer == input, "a failed AMF3 decode moved the reader index")
        return nil
    }
    precondition(buffer.readerIndex > input.readerIndex, "readAMF3Value consumed nothing")

    var encoded = ByteBuffer()
    encoded.writeAMF3Value(value)
    var again = encoded
    let decodedAgain: AMF3Value
    do {
        decodedAgain = try again.readAMF3Value(limits: limits)
    } catch {
        preconditionFailure("re-encoded AMF3 does not decode: \(error)")
    }
    precondition(again.readableBytes == 0, "re-encoded AMF3 has \(again.readableBytes) bytes left over")
    var reencoded = ByteBuffer()
    reencoded.writeAMF3Value(decodedAgain)
    precondition(reencoded == encoded, "AMF3 round trip is not stable")
    return encoded
}

/// Command and metadata bodies as publishers send them, every AMF0 and AMF3 marker the
/// encoders write, and references, which only hand-written bytes contain.
func seeds() -> [[UInt8]] {
    func amf0(_ values: [AMF0Value]) -> [UInt8] {
        var buffer = ByteBuffer()
        for value in values { buffer.writeAMF0Value(value) }
        return Array(buffer.readableBytesView)
    }
    func amf3(_ value: AMF3Value) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeAMF3Value(value)
        return Array(buffer.readableBytesView)
    }
    let amf3Object = AMF3Value.object(
        className: "flex.messaging.messages.RemotingMessage",
        members: [
            AMF3Property(name: "n", value: .integer(-3)),
            AMF3Property(name: "big", value: .integer(0x0FFF_FFFF)),
            AMF3Property(name: "d", value: .double(2.5)),
            AMF3Property(name: "s", value: .string("héllo")),
            AMF3Property(name: "t", value: .true),
            AMF3Property(name: "f", value: .false),
            AMF3Property(name: "u", value: .undefined),
            AMF3Property(name: "z", value: .null),
            AMF3Property(name: "when", value: .date(millisecondsSince1970: 1.7e12)),
            AMF3Property(name: "x", value: .xml("<a/>")),
            AMF3Property(name: "xd", value: .xmlDocument("<b/>")),
            AMF3Property(name: "bytes", value: .byteArray([0, 1, 2, 255])),
        ]
    )
    let amf3Array = AMF3Value.array(
        associative: [AMF3Property(name: "k", value: .string("v"))],
        dense: [.integer(1), .string("two"), amf3Object]
    )
    return [
        amf0([
            .string("connect"), .number(1),
            .object([
                "app": .string("live"), "type": .string("nonprivate"),
                "flashVer": .string("FMLE/3.0 (compatible; FMSc/1.0)"),
                "tcUrl": .string("rtmp://localhost/live"),
            ]),
        ]),
        amf0([.string("publish"), .number(0), .null, .string("stream?key=1"), .string("live")]),
        amf0([
            .string("@setDataFrame"), .string("onMetaData"),
            .ecmaArray([
                "duration": .number(0), "width": .number(1920), "height": .number(1080),
                "videocodecid": .number(7), "stereo": .boolean(true), "encoder": .string("Lavf61"),
            ]),
        ]),
        amf0([
            .strictArray([.number(1), .undefined, .boolean(false)]),
            .date(millisecondsSince1970: 1.7e12, timeZone: 0),
            .xmlDocument("<x/>"),
            .typedObject(className: "Point", ["x": .number(1), "y": .number(2)]),
            .string(String(repeating: "L", count: 70_000)),
        ]),
        amf0([.avmPlus(amf3Array), .avmPlus(amf3Object)]),
        amf3(amf3Array),
        amf3(amf3Object),
        // AMF0: an object, then a reference (0x07) to it.
        [0x03, 0x00, 0x01, 0x61, 0x05, 0x00, 0x00, 0x09, 0x07, 0x00, 0x00],
        // AMF3: a dense array ["ab", <string reference 0>].
        [0x09, 0x05, 0x01, 0x06, 0x05, 0x61, 0x62, 0x06, 0x00],
        // AMF3: two objects, the second reusing the first's traits (U29O-traits-ref 0b01).
        [0x09, 0x05, 0x01, 0x0A, 0x13, 0x01, 0x03, 0x61, 0x04, 0x01, 0x0A, 0x01, 0x04, 0x02],
    ]
}
