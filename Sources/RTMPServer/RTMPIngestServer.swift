import AMF
import FLV
import Logging
import NIOCore
import NIOPosix
import RTMPCore
import ServiceLifecycle
import Synchronization
import Telemetry

/// The RTMP ingest service: accepts publishers on the configured port, runs each connection's
/// handshake and chunk decoding on its event loop and its command flow in a structured task,
/// and hands published tags to the ``ChannelHub``.
///
/// On graceful shutdown it stops accepting and disconnects every publisher, so their
/// publishes end (and fragments close) before the services after it stop.
public struct RTMPIngestServer: Service {
    public let configuration: RTMPServerConfiguration
    public let hub: ChannelHub
    private let logger: Logger
    private let eventLoopGroup: any EventLoopGroup
    private let metrics: ReelMetrics
    private let onServerRunning: @Sendable (Int) async -> Void

    /// - Parameters:
    ///   - metrics: counts `reel_bytes_in_total`.
    ///   - onServerRunning: called with the bound port once the server listens.
    public init(
        configuration: RTMPServerConfiguration,
        hub: ChannelHub,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger,
        metrics: ReelMetrics = .noop,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.hub = hub
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.metrics = metrics
        self.onServerRunning = onServerRunning
    }

    typealias ConnectionChannel = NIOAsyncChannel<RTMPMessage, RTMPMessage>

    public func run() async throws {
        let configuration = self.configuration
        let open = ConnectionCount()
        let logger = self.logger
        let hub = self.hub
        let metrics = self.metrics
        let server = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: false)
            // Reads of up to 256 KiB when a publisher sends faster than real time: fewer reads
            // and fewer hand-offs to the connection's task per megabyte. A real-time stream's
            // reads stay near the 16 KiB start.
            .childChannelOption(
                .recvAllocator,
                value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 16384, maximum: 262_144)
            )
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let state = RTMPConnectionState()
                    let logger = self.logger
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(RTMPByteCounter(state: state, metrics: metrics))
                    try sync.addHandler(
                        RTMPHandshakeHandler(timeout: configuration.handshakeTimeout) { reason in
                            logger.debug("rtmp connection refused", metadata: ["reason": "\(reason)"])
                        }
                    )
                    try sync.addHandler(ByteToMessageHandler(RTMPChunkDecoder(limits: configuration.limits)))
                    try sync.addHandler(RTMPIdleHandler(timeout: configuration.idleTimeout, state: state))
                    try sync.addHandler(RTMPMessageEncoderHandler())
                    let asyncChannel = try ConnectionChannel(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(backPressureStrategy: .init(lowWatermark: 4, highWatermark: 64))
                    )
                    return (asyncChannel, state)
                }
            }
        let port = server.channel.localAddress?.port ?? configuration.port
        logger.notice("rtmp ingest listening", metadata: ["rtmp.port": "\(port)"])
        await onServerRunning(port)

        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await (connection, state) in inbound {
                        let count = open.value.add(1, ordering: .relaxed).newValue
                        guard count <= configuration.maxConnections else {
                            open.value.subtract(1, ordering: .relaxed)
                            logger.warning(
                                "rtmp connection limit reached",
                                metadata: ["rtmp.connections": "\(count - 1)"]
                            )
                            try? await connection.channel.close()
                            continue
                        }
                        group.addTask {
                            await RTMPConnection(
                                channel: connection,
                                state: state,
                                hub: hub,
                                configuration: configuration,
                                logger: logger
                            ).run()
                            open.value.subtract(1, ordering: .relaxed)
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            hub.shutDown()
            server.channel.close(promise: nil)
        }
    }
}

/// The number of open connections.
final class ConnectionCount: Sendable {
    let value = Atomic<Int>(0)
}

/// One client connection: feeds decoded messages to its ``RTMPServerSession`` and carries out
/// the actions.
struct RTMPConnection {
    let channel: RTMPIngestServer.ConnectionChannel
    let state: RTMPConnectionState
    let hub: ChannelHub
    let configuration: RTMPServerConfiguration
    var logger: Logger

    private static let nextID = Atomic<UInt64>(1)

    init(
        channel: RTMPIngestServer.ConnectionChannel,
        state: RTMPConnectionState,
        hub: ChannelHub,
        configuration: RTMPServerConfiguration,
        logger: Logger
    ) {
        self.channel = channel
        self.state = state
        self.hub = hub
        self.configuration = configuration
        self.logger = logger
        self.logger[metadataKey: "rtmp.connection.id"] = "\(Self.nextID.add(1, ordering: .relaxed).oldValue)"
        if let remote = channel.channel.remoteAddress { self.logger[metadataKey: "rtmp.remote"] = "\(remote)" }
    }

    func run() async {
        var sessionConfiguration = configuration.session
        sessionConfiguration.limits = configuration.limits
        var session = RTMPServerSession(configuration: sessionConfiguration)
        var stream: LiveStream?
        var logger = self.logger
        do {
            try await withGracefulShutdownHandler {
                try await channel.executeThenClose { inbound, outbound in
                    try await serve(inbound, outbound, session: &session, stream: &stream, logger: &logger)
                }
            } onGracefulShutdown: {
                channel.channel.close(promise: nil)
            }
        } catch {
            logger.info("rtmp connection ended", metadata: ["error": "\(error)"])
        }
        if let stream {
            let reason: PublishEndReason =
                switch state.closeCause {
                case .idle: .idleTimeout
                case .stoppedByServer: .stoppedByServer
                case .none: .connectionLost
                }
            await hub.publishEnded(stream, reason: reason)
        }
    }

    /// Hands a tag to the stream's subscribers; when one has more queued than it wants, waits
    /// for it before reading on (the unread bytes then hold the publisher back through TCP).
    private func deliver(_ tag: FLVMediaTag, to stream: LiveStream?) async {
        guard let stream, stream.deliver(tag) else { return }
        state.isPausedForSubscribers = true
        await stream.waitForSubscribers()
        state.isPausedForSubscribers = false
    }

    /// Runs the session over the connection's messages until it ends or must close.
    private func serve(
        _ inbound: NIOAsyncChannelInboundStream<RTMPMessage>,
        _ outbound: NIOAsyncChannelOutboundWriter<RTMPMessage>,
        session: inout RTMPServerSession,
        stream: inout LiveStream?,
        logger: inout Logger
    ) async throws {
        messages: for try await message in inbound {
            var action = session.receivedBytes(state.takeBytesRead())
            if case .send(let replies) = action { try await outbound.write(contentsOf: replies) }
            action = session.receivedMessage(message)
            while true {
                switch action {
                case .none:
                    continue messages
                case .send(let replies):
                    try await outbound.write(contentsOf: replies)
                    continue messages
                case .authorizePublish(let request):
                    let underlying = channel.channel
                    let state = self.state
                    do {
                        let address = underlying.remoteAddress?.ipAddress
                        let granted = try await hub.authorize(request, clientAddress: address) {
                            state.markClosed(.stoppedByServer)
                            underlying.close(promise: nil)
                        }
                        stream = granted
                        logger[metadataKey: "channel"] = "\(granted.info.channelId)"
                        action = session.publishAccepted()
                    } catch {
                        logger.info(
                            "publish refused",
                            metadata: ["rtmp.status": "\(error.code)", "reason": "\(error.description)"]
                        )
                        action = session.publishRejected(code: error.code, description: error.description)
                    }
                case .audio(let timestamp, let payload):
                    await deliver(FLVMediaTag(type: .audio, timestamp: Int64(timestamp), data: payload), to: stream)
                    continue messages
                case .video(let timestamp, let payload):
                    await deliver(FLVMediaTag(type: .video, timestamp: Int64(timestamp), data: payload), to: stream)
                    continue messages
                case .data(let timestamp, let values):
                    var body = channel.channel.allocator.buffer(capacity: 256)
                    for value in values { body.writeAMF0Value(value) }
                    await deliver(FLVMediaTag(type: .scriptData, timestamp: Int64(timestamp), data: body), to: stream)
                    continue messages
                case .unpublished(let reply):
                    if let ended = stream {
                        stream = nil
                        await hub.publishEnded(ended, reason: .unpublished)
                    }
                    // Publishers often close right after unpublishing; a reply they miss is no error.
                    try? await outbound.write(contentsOf: reply)
                    continue messages
                case .close(let reply, let error):
                    try await outbound.write(contentsOf: reply)
                    if let error { logger.info("rtmp connection closed on bad input", metadata: ["error": "\(error)"]) }
                    return
                }
            }
        }
    }
}
