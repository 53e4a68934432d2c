import AMF
import NIOCore

@testable import RTMPCore

/// A test-only publisher: the client side of the handshake and the commands FFmpeg and OBS
/// send, chunk-encoded, so tests drive the server without sockets (postgres-nio's
/// `PSQLBackendMessageEncoder` idea, reversed).
struct RTMPTestPublisher {
    var handshake: RTMPClientHandshake
    var encoder = RTMPChunkEncoder()
    /// Decodes what the server sends back.
    var decoder = RTMPChunkDecoder()
    private var nextTransactionID: Double = 1

    init(scheme: RTMPHandshakeScheme, seed: UInt64 = 1) {
        var generator = SeededGenerator(seed: seed)
        self.handshake = RTMPClientHandshake(scheme: scheme, using: &generator)
    }

    /// Encodes `body` as a message.
    mutating func send(_ body: RTMPMessageBody, timestamp: UInt64 = 0, messageStreamID: UInt32 = 0) -> ByteBuffer {
        var out = ByteBuffer()
        encoder.encode(body.message(timestamp: timestamp, messageStreamID: messageStreamID), into: &out)
        return out
    }

    mutating func command(
        _ name: String,
        commandObject: AMF0Value = .null,
        arguments: [AMF0Value] = [],
        messageStreamID: UInt32 = 0,
        transactionID: Double? = nil
    ) -> ByteBuffer {
        let id = transactionID ?? nextTransactionID
        if transactionID == nil { nextTransactionID += 1 }
        return send(
            .commandAMF0(
                RTMPCommand(name: name, transactionID: id, commandObject: commandObject, arguments: arguments)
            ),
            messageStreamID: messageStreamID
        )
    }

    mutating func connect(app: String = "live", tcURL: String = "rtmp://localhost:1935/live") -> ByteBuffer {
        command(
            "connect",
            commandObject: .object([
                "app": .string(app),
                "type": .string("nonprivate"),
                "flashVer": .string("FMLE/3.0 (compatible; FMSc/1.0)"),
                "tcUrl": .string(tcURL),
            ])
        )
    }

    mutating func releaseStream(_ name: String) -> ByteBuffer {
        command("releaseStream", arguments: [.string(name)])
    }

    mutating func fcPublish(_ name: String) -> ByteBuffer {
        command("FCPublish", arguments: [.string(name)])
    }

    mutating func createStream() -> ByteBuffer {
        command("createStream")
    }

    mutating func publish(_ name: String, messageStreamID: UInt32 = 1) -> ByteBuffer {
        command(
            "publish",
            arguments: [.string(name), .string("live")],
            messageStreamID: messageStreamID,
            transactionID: 0
        )
    }

    /// `@setDataFrame("onMetaData", metadata)`, as FFmpeg sends metadata.
    mutating func metadata(_ metadata: AMFObject, messageStreamID: UInt32 = 1) -> ByteBuffer {
        send(
            .dataAMF0([.string("@setDataFrame"), .string("onMetaData"), .ecmaArray(metadata)]),
            messageStreamID: messageStreamID
        )
    }

    mutating func audio(_ payload: [UInt8], timestamp: UInt64, messageStreamID: UInt32 = 1) -> ByteBuffer {
        send(.audio(ByteBuffer(bytes: payload)), timestamp: timestamp, messageStreamID: messageStreamID)
    }

    mutating func video(_ payload: [UInt8], timestamp: UInt64, messageStreamID: UInt32 = 1) -> ByteBuffer {
        send(.video(ByteBuffer(bytes: payload)), timestamp: timestamp, messageStreamID: messageStreamID)
    }

    mutating func fcUnpublish(_ name: String) -> ByteBuffer {
        command("FCUnpublish", arguments: [.string(name)])
    }

    mutating func deleteStream(_ id: UInt32) -> ByteBuffer {
        command("deleteStream", arguments: [.number(Double(id))])
    }

    /// The server's messages in `bytes`, decoded.
    mutating func receive(_ bytes: ByteBuffer) throws -> [RTMPMessageBody] {
        var bytes = bytes
        var bodies: [RTMPMessageBody] = []
        while let message = try decoder.decode(buffer: &bytes) {
            bodies.append(try RTMPMessageBody(decoding: message))
        }
        return bodies
    }
}
