import AMF
import NIOCore
import NIOPosix
import RTMPCore
import Testing

/// A scriptable RTMP client over a real socket: sends whatever a test wants, well-formed or
/// not, and reads what the server answers.
struct RTMPTestClient: ~Copyable {
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var received = ByteBuffer()
    private var encoder = RTMPChunkEncoder()
    private var decoder = RTMPChunkDecoder()
    private var transactionID: Double = 1

    /// Connects to `port`, runs `body`, and closes.
    static func with<T: Sendable>(port: Int, _ body: (inout RTMPTestClient) async throws -> T) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var client = RTMPTestClient(inbound: inbound.makeAsyncIterator(), outbound: outbound)
            return try await body(&client)
        }
    }

    private init(
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) {
        self.inbound = inbound
        self.outbound = outbound
    }

    mutating func send(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    mutating func send(_ body: RTMPMessageBody, timestamp: UInt64 = 0, messageStreamID: UInt32 = 0) async throws {
        var buffer = ByteBuffer()
        encoder.encode(body.message(timestamp: timestamp, messageStreamID: messageStreamID), into: &buffer)
        try await outbound.write(buffer)
    }

    mutating func command(
        _ name: String,
        object: AMF0Value = .null,
        _ arguments: [AMF0Value] = [],
        streamID: UInt32 = 0
    ) async throws {
        let command = RTMPCommand(name: name, transactionID: transactionID, commandObject: object, arguments: arguments)
        transactionID += 1
        try await send(.commandAMF0(command), messageStreamID: streamID)
    }

    /// Reads until the server closes the connection.
    /// - Returns: how long that took.
    mutating func waitForClose() async throws -> Duration {
        let start = ContinuousClock.now
        do {
            while try await inbound.next() != nil {}
        } catch {
            // A reset is a close too.
        }
        return ContinuousClock.now - start
    }

    /// The plain or digest handshake.
    mutating func handshake(scheme: RTMPHandshakeScheme = .plain) async throws {
        var generator = SystemRandomNumberGenerator()
        var handshake = RTMPClientHandshake(scheme: scheme, using: &generator)
        try await outbound.write(handshake.start())
        while true {
            switch handshake.receive(&received) {
            case .needMoreData:
                guard var more = try await inbound.next() else { throw HarnessError("closed during the handshake") }
                received.writeBuffer(&more)
            case .complete(let c2):
                try await outbound.write(c2)
                return
            case .fail(let error):
                throw error
            }
        }
    }

    /// The next command the server sends (protocol control messages are skipped).
    mutating func nextCommand() async throws -> RTMPCommand? {
        while true {
            while let message = try decoder.decode(buffer: &received) {
                if case .commandAMF0(let command) = try RTMPMessageBody(decoding: message) { return command }
            }
            guard var more = try await inbound.next() else { return nil }
            received.writeBuffer(&more)
        }
    }

    /// connect, createStream and publish `name` (with its `?query`), as encoders do.
    /// - Returns: the `code` of the server's `onStatus` for the publish, or `nil` if it closed first.
    mutating func publish(app: String = "live", _ name: String) async throws -> String? {
        try await command(
            "connect",
            object: .object([
                "app": .string(app), "type": .string("nonprivate"), "tcUrl": .string("rtmp://127.0.0.1/\(app)"),
            ])
        )
        try await command("releaseStream", [.string(name)])
        try await command("FCPublish", [.string(name)])
        try await command("createStream")
        try await command("publish", [.string(name), .string("live")], streamID: 1)
        while let command = try await nextCommand() {
            if command.name == "onStatus", let code = command.arguments.first?.objectValue?["code"]?.stringValue {
                return code
            }
        }
        return nil
    }

    /// An AVC keyframe or inter frame on stream 1.
    mutating func video(timestamp: UInt64, keyframe: Bool, size: Int = 200) async throws {
        let header: [UInt8] = [keyframe ? 0x17 : 0x27, 0x01, 0, 0, 0]
        try await send(
            .video(ByteBuffer(bytes: header + [UInt8](repeating: UInt8(timestamp & 0xFF), count: size))),
            timestamp: timestamp,
            messageStreamID: 1
        )
    }
}
