import NIOCore
import RTMPCore

/// Runs the server handshake on the event loop, then forwards the rest of the bytes to the
/// chunk decoder and removes itself. Closes the connection when the client's bytes are not
/// a handshake or the handshake takes longer than the timeout.
final class RTMPHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var handshake = RTMPServerHandshake()
    private var buffered: ByteBuffer?
    private var timeout: Scheduled<Void>?
    private var completed = false
    private let timeoutAmount: TimeAmount
    private let onFailure: @Sendable (String) -> Void

    init(timeout: TimeAmount, onFailure: @escaping @Sendable (String) -> Void) {
        self.timeoutAmount = timeout
        self.onFailure = onFailure
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let onFailure = self.onFailure
        timeout = context.eventLoop.scheduleTask(in: timeoutAmount) {
            onFailure("handshake not completed in time")
            loopBound.value.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timeout?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !completed else {
            context.fireChannelRead(data)
            return
        }
        var incoming = unwrapInboundIn(data)
        if buffered == nil {
            buffered = incoming
        } else {
            buffered!.writeBuffer(&incoming)
        }
        while var buffer = buffered {
            buffered = nil
            let action = handshake.receive(&buffer)
            buffered = buffer
            switch action {
            case .needMoreData:
                return
            case .send(let bytes):
                context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
            case .complete:
                completed = true
                timeout?.cancel()
                if let rest = buffered, rest.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(rest)) }
                buffered = nil
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
                return
            case .fail(let error):
                onFailure("handshake failed: \(error)")
                buffered = nil
                context.close(promise: nil)
                return
            }
        }
    }
}

@available(*, unavailable)
extension RTMPHandshakeHandler: Sendable {}
