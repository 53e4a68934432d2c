import AMF
import FuzzSupport
import NIOCore
import RTMPCore

// Feeds arbitrary bytes, split where the control byte says (see `FuzzInput`), into an
// RTMPChunkDecoder as the chunk stream after the handshake, and every decoded message into an
// RTMPServerSession, driven as the ingest server drives it. Decoder errors end the input, as
// they end a connection; crashes and traps are bugs. Every message the session sends is
// chunk-encoded and decoded again, and must come back unchanged.
//
// Control bits: 2 tight limits (short messages, few chunk streams, small AMF), 3 reject
// publish requests instead of accepting them, 4 a server chunk size of 1 instead of 4096.

/// Limits small enough that fuzzed input reaches every limit check.
let tightLimits = RTMPLimits(
    maxMessageLength: 4096,
    maxChunkStreams: 4,
    maxIncompleteMessageBytes: 6000,
    amf: AMFDecodingLimits(maxDepth: 4, maxElements: 64, maxStringLength: 256)
)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChunkDecoder(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    var driver = Driver(
        limits: input.flag(2) ? tightLimits : .default,
        acceptsPublish: !input.flag(3),
        serverChunkSize: input.flag(4) ? 1 : 4096
    )
    driver.run(input.pieces)
    return 0
}

/// Plays the ingest server's part: decoder → session → encoder, with an echo decoder standing
/// in for the publisher's.
struct Driver {
    var decoder: RTMPChunkDecoder
    var session: RTMPServerSession
    let acceptsPublish: Bool
    var encoder = RTMPChunkEncoder()
    var echoDecoder = RTMPChunkDecoder()
    var buffer = ByteBuffer()

    init(limits: RTMPLimits, acceptsPublish: Bool, serverChunkSize: UInt32) {
        self.decoder = RTMPChunkDecoder(limits: limits)
        self.session = RTMPServerSession(
            configuration: .init(chunkSize: serverChunkSize, limits: limits)
        )
        self.acceptsPublish = acceptsPublish
    }

    mutating func run(_ pieces: [UnsafeBufferPointer<UInt8>]) {
        for piece in pieces {
            buffer.writeBytes(piece)
            guard run(session.receivedBytes(piece.count)), decodeAll(seenEOF: nil) else { return }
        }
        _ = decodeAll(seenEOF: true)
    }

    /// Decodes and handles messages until the decoder needs more bytes.
    /// - Returns: Whether the connection stays open.
    mutating func decodeAll(seenEOF: Bool?) -> Bool {
        while true {
            let before = buffer
            let message: RTMPMessage?
            do {
                if let seenEOF {
                    message = try decoder.decodeLast(buffer: &buffer, seenEOF: seenEOF)
                } else {
                    message = try decoder.decode(buffer: &buffer)
                }
            } catch {
                return false
            }
            guard let message else {
                precondition(buffer.readerIndex >= before.readerIndex, "the decoder moved backwards")
                return true
            }
            precondition(message.type != .aggregate, "an aggregate reached the session")
            precondition(
                message.payload.readableBytes <= decoder.limits.maxMessageLength,
                "a message of \(message.payload.readableBytes) bytes passed the limit"
            )
            precondition((2...65_599).contains(message.chunkStreamID), "csid \(message.chunkStreamID)")
            guard run(session.receivedMessage(message)) else { return false }
        }
    }

    /// Runs a session action as the ingest server does.
    /// - Returns: Whether the connection stays open.
    mutating func run(_ action: RTMPServerSession.Action) -> Bool {
        switch action {
        case .none, .audio, .video, .data:
            return true
        case .send(let messages), .unpublished(let messages):
            send(messages)
            return true
        case .authorizePublish:
            if acceptsPublish {
                return run(session.publishAccepted())
            }
            return run(session.publishRejected(code: .publishBadName, description: "rejected by the fuzzer"))
        case .close(let reply, _):
            send(reply)
            return false
        }
    }

    /// Chunk-encodes `messages` and checks that a publisher's decoder reads them back.
    mutating func send(_ messages: [RTMPMessage]) {
        var out = ByteBuffer()
        for message in messages {
            encoder.encode(message, into: &out)
        }
        for message in messages {
            let echoed: RTMPMessage?
            do {
                echoed = try echoDecoder.decode(buffer: &out)
            } catch {
                preconditionFailure("the server sent chunks its own decoder rejects: \(error)")
            }
            precondition(echoed == message, "sent \(message), decoded \(String(describing: echoed))")
        }
        precondition(out.readableBytes == 0, "\(out.readableBytes) bytes sent beyond the messages")
    }
}

/// A publisher's session as FFmpeg and OBS send it, with the protocol control, aggregate and
/// abort paths and an AMF3 command mixed in, under several control bytes.
func seeds() -> [[UInt8]] {
    var encoder = RTMPChunkEncoder()
    var stream = ByteBuffer()
    func send(_ body: RTMPMessageBody, timestamp: UInt64 = 0, messageStreamID: UInt32 = 0, csid: UInt32? = nil) {
        encoder.encode(
            body.message(timestamp: timestamp, messageStreamID: messageStreamID, chunkStreamID: csid),
            into: &stream
        )
    }
    func command(
        _ name: String,
        _ id: Double,
        _ object: AMF0Value = .null,
        _ arguments: [AMF0Value] = [],
        on: UInt32 = 0
    ) {
        send(
            .commandAMF0(RTMPCommand(name: name, transactionID: id, commandObject: object, arguments: arguments)),
            messageStreamID: on
        )
    }

    send(.setChunkSize(4096))
    send(.windowAcknowledgementSize(5_000_000))
    command(
        "connect",
        1,
        .object([
            "app": .string("live"), "type": .string("nonprivate"),
            "flashVer": .string("FMLE/3.0 (compatible; FMSc/1.0)"), "tcUrl": .string("rtmp://localhost/live"),
        ])
    )
    command("releaseStream", 2, .null, [.string("key")])
    command("FCPublish", 3, .null, [.string("key")])
    command("createStream", 4)
    send(.userControl(.pingRequest(timestamp: 7)))
    command("publish", 0, .null, [.string("key?token=abc"), .string("live")], on: 1)
    send(
        .dataAMF0([
            .string("@setDataFrame"), .string("onMetaData"),
            .ecmaArray(["width": .number(1280), "height": .number(720), "videocodecid": .number(7)]),
        ]),
        messageStreamID: 1
    )
    send(.video(ByteBuffer(bytes: [0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x64, 0x00, 0x1F])), messageStreamID: 1)
    send(.audio(ByteBuffer(bytes: [0xAF, 0x00, 0x12, 0x10])), timestamp: 0, messageStreamID: 1)
    send(.video(ByteBuffer(repeating: 0x27, count: 5000)), timestamp: 33, messageStreamID: 1)
    send(.audio(ByteBuffer(bytes: [0xAF, 0x01, 0x21, 0x10])), timestamp: 0xFF_FFFF + 5, messageStreamID: 1)

    // An aggregate of an audio and a video sub-message, 40 ms apart.
    var aggregate = ByteBuffer()
    for (type, timestamp, data) in [
        (UInt8(8), UInt32(100), [UInt8](arrayLiteral: 0xAF, 0x01, 0x00)), (9, 140, [0x27, 0x01]),
    ] {
        aggregate.writeInteger(type)
        aggregate.writeBytes([0, 0, UInt8(data.count)])
        aggregate.writeBytes([UInt8(timestamp >> 16 & 0xFF), UInt8(timestamp >> 8 & 0xFF), UInt8(timestamp & 0xFF), 0])
        aggregate.writeBytes([0, 0, 0])
        aggregate.writeBytes(data)
        aggregate.writeInteger(UInt32(11 + data.count))
    }
    send(.aggregate(aggregate), timestamp: 100, messageStreamID: 1)

    // A video message cut short by Abort: the first 4,096-byte chunk of 6,000, then Abort.
    stream.writeBytes([0x07, 0x00, 0x00, 0x64, 0x00, 0x17, 0x70, 0x09, 0x01, 0x00, 0x00, 0x00])
    stream.writeRepeatingByte(0x27, count: 4096)
    send(.abort(chunkStreamID: 7))

    send(.commandAMF3(RTMPCommand(name: "FCUnpublish", transactionID: 6, arguments: [.string("key")])))
    command("deleteStream", 7, .null, [.number(1)])
    let session = Array(stream.readableBytesView)

    var seeds: [[UInt8]] = []
    for control: UInt8 in [0x00, 0x01, 0x02, 0x03, 0x04, 0x08, 0x10, 0x13] {
        seeds.append([control] + session)
    }
    // Chunk size 1 and a 3-byte basic header (csid 320 and up).
    var small = ByteBuffer()
    var smallEncoder = RTMPChunkEncoder()
    smallEncoder.encode(RTMPMessageBody.setChunkSize(1).message(), into: &small)
    smallEncoder.encode(
        RTMPMessageBody.commandAMF0(
            RTMPCommand(name: "connect", transactionID: 1, commandObject: .object(["app": .string("a")]))
        )
        .message(chunkStreamID: 400),
        into: &small
    )
    seeds.append([0x00] + Array(small.readableBytesView))
    return seeds
}
