import NIOCore

@testable import RTMPCore

/// A test-only driver: handshake, chunk decoder, session and chunk encoder, as the NIO
/// transport will wire them.
struct RTMPTestServer {
    var handshake: RTMPServerHandshake
    var handshakeComplete = false
    var decoder = RTMPChunkDecoder()
    var session: RTMPServerSession
    var encoder = RTMPChunkEncoder()
    var input = ByteBuffer()

    init(configuration: RTMPServerSession.Configuration = .init(), seed: UInt64 = 2) {
        var generator = SeededGenerator(seed: seed)
        self.handshake = RTMPServerHandshake(using: &generator)
        self.session = RTMPServerSession(configuration: configuration)
    }

    /// Feeds bytes; returns the session's actions (``RTMPServerSession/Action/none`` left out)
    /// and the bytes to send back.
    mutating func receive(_ bytes: ByteBuffer) throws -> (actions: [RTMPServerSession.Action], output: ByteBuffer) {
        var bytes = bytes
        var actions: [RTMPServerSession.Action] = []
        var output = ByteBuffer()
        let count = bytes.readableBytes
        input.writeBuffer(&bytes)
        record(session.receivedBytes(count), into: &actions, output: &output)
        while !handshakeComplete {
            switch handshake.receive(&input) {
            case .needMoreData: return (actions, output)
            case .send(var reply): output.writeBuffer(&reply)
            case .complete: handshakeComplete = true
            case .fail(let error): throw error
            }
        }
        while let message = try decoder.decode(buffer: &input) {
            record(session.receivedMessage(message), into: &actions, output: &output)
            if case .close = actions.last { break }
        }
        return (actions, output)
    }

    mutating func record(
        _ action: RTMPServerSession.Action,
        into actions: inout [RTMPServerSession.Action],
        output: inout ByteBuffer
    ) {
        switch action {
        case .none:
            return
        case .send(let messages), .unpublished(let messages), .close(let messages, _):
            for message in messages { encoder.encode(message, into: &output) }
        case .authorizePublish, .audio, .video, .data:
            break
        }
        actions.append(action)
    }
}
