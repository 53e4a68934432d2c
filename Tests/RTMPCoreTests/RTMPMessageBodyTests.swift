import AMF
import NIOCore
import Testing

@testable import RTMPCore

@Suite struct RTMPMessageBodyTests {
    static let bodies: [RTMPMessageBody] = [
        .setChunkSize(4096),
        .abort(chunkStreamID: 6),
        .acknowledgement(sequenceNumber: 0xFFFF_FFFF),
        .windowAcknowledgementSize(2_500_000),
        .setPeerBandwidth(2_500_000, limitType: .dynamic),
        .userControl(.streamBegin(messageStreamID: 1)),
        .userControl(.streamEOF(messageStreamID: 1)),
        .userControl(.streamDry(messageStreamID: 1)),
        .userControl(.setBufferLength(messageStreamID: 1, milliseconds: 3000)),
        .userControl(.streamIsRecorded(messageStreamID: 1)),
        .userControl(.pingRequest(timestamp: 123)),
        .userControl(.pingResponse(timestamp: 123)),
        .userControl(.other(eventType: 26, data: ByteBuffer(bytes: [1, 2, 3]))),
        .audio(ByteBuffer(bytes: [0xAF, 0x01, 0x21])),
        .video(ByteBuffer(bytes: [0x17, 0x01, 0, 0, 0])),
        .dataAMF0([.string("onMetaData"), .ecmaArray(["width": .number(1280)])]),
        .dataAMF3([.string("onTextData"), .object(["text": .string("hi")])]),
        .commandAMF0(RTMPCommand(name: "connect", transactionID: 1, commandObject: .object(["app": .string("live")]))),
        .commandAMF3(RTMPCommand(name: "publish", transactionID: 0, arguments: [.string("abc"), .string("live")])),
        .aggregate(ByteBuffer(bytes: [])),
        .unsupported(.sharedObjectAMF0, ByteBuffer(bytes: [1])),
    ]

    @Test(arguments: bodies)
    func bodiesRoundTrip(body: RTMPMessageBody) throws {
        let message = body.message(timestamp: 7, messageStreamID: 1)
        #expect(message.type == body.type)
        #expect(try RTMPMessageBody(decoding: message) == body)
    }

    @Test func wireLayoutOfProtocolControlMessages() {
        #expect(
            RTMPMessageBody.setPeerBandwidth(0x0102_0304, limitType: .soft).message().payload.bytes == [1, 2, 3, 4, 1]
        )
        #expect(
            RTMPMessageBody.userControl(.pingResponse(timestamp: 0x0A0B_0C0D)).message().payload.bytes == [
                0, 7, 10, 11, 12, 13,
            ]
        )
        #expect(RTMPMessageBody.setChunkSize(4096).message().chunkStreamID == 2)
        #expect(
            RTMPMessageBody.commandAMF3(RTMPCommand(name: "a", transactionID: 0)).message().payload.bytes.first == 0
        )
    }

    @Test func payloadsOfTheWrongLengthAreMalformed() {
        let cases: [(RTMPMessageType, [UInt8])] = [
            (.setChunkSize, [0, 0, 1]),
            (.setChunkSize, [0, 0, 1, 0, 0]),
            (.acknowledgement, []),
            (.windowAcknowledgementSize, [1]),
            (.setPeerBandwidth, [0, 0, 0, 1]),
            (.userControl, [0]),
            (.userControl, [0, 6, 0, 0]),
            (.userControl, [0, 0, 0, 0, 0, 1, 9]),
            (.commandAMF3, [1, 2]),
        ]
        for (type, bytes) in cases {
            let message = RTMPMessage(type: type, payload: ByteBuffer(bytes: bytes))
            #expect(throws: RTMPError(.malformedMessage, ""), "\(type) \(bytes)") {
                try RTMPMessageBody(decoding: message)
            }
        }
    }

    @Test func commandsNeedANameAndANumericTransactionID() throws {
        for values: [AMF0Value] in [[.number(1)], [.string("connect"), .string("1")], []] {
            var payload = ByteBuffer()
            for value in values { payload.writeAMF0Value(value) }
            let message = RTMPMessage(type: .commandAMF0, payload: payload)
            #expect(throws: RTMPError(.malformedMessage, "")) { try RTMPMessageBody(decoding: message) }
        }
        var payload = ByteBuffer()
        payload.writeAMF0Value(.string("onBWDone"))
        #expect(
            try RTMPMessageBody(decoding: RTMPMessage(type: .commandAMF0, payload: payload))
                == .commandAMF0(RTMPCommand(name: "onBWDone", transactionID: 0))
        )
    }

    @Test func truncatedAMFIsAnAMFError() {
        var payload = ByteBuffer()
        payload.writeAMF0Value(.string("connect"))
        payload.writeBytes([0x00, 0x3F])  // a number cut short
        #expect(throws: RTMPError(.amfDecodingFailed, "")) {
            try RTMPMessageBody(decoding: RTMPMessage(type: .commandAMF0, payload: payload))
        }
    }
}
