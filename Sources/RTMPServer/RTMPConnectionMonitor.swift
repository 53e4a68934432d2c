import NIOCore
import RTMPCore
import Synchronization
import Telemetry

/// What the event-loop handlers of one connection tell its async task.
final class RTMPConnectionState: Sendable {
    /// Why the server closed the connection, when it did.
    enum CloseCause: UInt8 {
        case none = 0
        case idle = 1
        case stoppedByServer = 2
    }

    private let bytesRead = Atomic<UInt64>(0)
    private let bytesReported = Atomic<UInt64>(0)
    private let cause = Atomic<UInt8>(CloseCause.none.rawValue)
    private let pausedForSubscribers = Atomic<Bool>(false)

    /// Whether the connection's task waits for slow subscribers, so reads are paused on
    /// purpose: the idle timeout does not count that time.
    var isPausedForSubscribers: Bool {
        get { pausedForSubscribers.load(ordering: .relaxed) }
        set { pausedForSubscribers.store(newValue, ordering: .relaxed) }
    }

    func add(bytesRead count: Int) {
        bytesRead.add(UInt64(count), ordering: .relaxed)
    }

    /// Bytes read since the last call.
    func takeBytesRead() -> Int {
        let total = bytesRead.load(ordering: .relaxed)
        let previous = bytesReported.exchange(total, ordering: .relaxed)
        return Int(total &- previous)
    }

    func markClosed(_ value: CloseCause) {
        _ = cause.compareExchange(expected: CloseCause.none.rawValue, desired: value.rawValue, ordering: .relaxed)
    }

    var closeCause: CloseCause { CloseCause(rawValue: cause.load(ordering: .relaxed)) ?? .none }
}

/// First in the pipeline: counts bytes read (for RTMP acknowledgements, and once per read in
/// `reel_bytes_in_total`).
final class RTMPByteCounter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let state: RTMPConnectionState
    private let metrics: ReelMetrics

    init(state: RTMPConnectionState, metrics: ReelMetrics = .noop) {
        self.state = state
        self.metrics = metrics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let count = unwrapInboundIn(data).readableBytes
        state.add(bytesRead: count)
        metrics.bytesIn.increment(by: count)
        context.fireChannelRead(data)
    }
}

@available(*, unavailable)
extension RTMPByteCounter: Sendable {}

/// After the chunk decoder: closes the connection when no complete message arrived for the
/// idle timeout — a stalled publisher, or a client trickling bytes that never make a message.
final class RTMPIdleHandler: ChannelInboundHandler {
    typealias InboundIn = Any
    typealias InboundOut = Any

    private let timeout: TimeAmount
    private let state: RTMPConnectionState
    private var lastMessage = NIODeadline.now()
    private var check: RepeatedTask?

    init(timeout: TimeAmount, state: RTMPConnectionState) {
        self.timeout = timeout
        self.state = state
    }

    func handlerAdded(context: ChannelHandlerContext) {
        lastMessage = .now()
        let loopBound = NIOLoopBound((context, self), eventLoop: context.eventLoop)
        let interval = TimeAmount.nanoseconds(max(timeout.nanoseconds / 4, 1_000_000))
        check = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let (context, handler) = loopBound.value
            if handler.state.isPausedForSubscribers {
                handler.lastMessage = .now()
            } else if NIODeadline.now() - handler.lastMessage > handler.timeout {
                handler.state.markClosed(.idle)
                context.close(promise: nil)
            }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        check?.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        check?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastMessage = .now()
        context.fireChannelRead(data)
    }
}

@available(*, unavailable)
extension RTMPIdleHandler: Sendable {}

/// Writes outgoing messages as chunks; follows the Set Chunk Size the session sends.
final class RTMPMessageEncoderHandler: ChannelOutboundHandler {
    typealias OutboundIn = RTMPMessage
    typealias OutboundOut = ByteBuffer

    private var encoder = RTMPChunkEncoder()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let message = unwrapOutboundIn(data)
        var buffer = context.channel.allocator.buffer(capacity: message.payload.readableBytes + 32)
        encoder.encode(message, into: &buffer)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }
}

@available(*, unavailable)
extension RTMPMessageEncoderHandler: Sendable {}
