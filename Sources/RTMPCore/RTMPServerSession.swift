import AMF
import NIOCore

/// The server side of one RTMP connection's NetConnection and NetStream commands, for
/// publishers (RTMP spec 1.0 §7.2): events in, ``Action`` out, no I/O.
///
/// The flow of a publisher (FFmpeg, OBS, GStreamer, Flash-era encoders):
/// 1. `connect` → Window Acknowledgement Size, Set Peer Bandwidth, Set Chunk Size and
///    `_result` with `NetConnection.Connect.Success`.
/// 2. `releaseStream` → `_result`; `FCPublish` → `onFCPublish`; `createStream` → `_result`
///    with a message stream ID.
/// 3. `publish` → ``Action/authorizePublish(_:)``; the driver answers with
///    ``publishAccepted()`` (Stream Begin and `NetStream.Publish.Start`) or
///    ``publishRejected(code:description:)`` (an error `onStatus`, then close).
/// 4. Audio, video and data on the published stream → ``Action/audio(timestamp:payload:)``,
///    ``Action/video(timestamp:payload:)`` and ``Action/data(timestamp:values:)``.
/// 5. `FCUnpublish`, `deleteStream` or `closeStream` → ``Action/unpublished(reply:)``.
///
/// Messages come from an ``RTMPChunkDecoder``; the driver writes ``Action/send(_:)`` messages
/// with an ``RTMPChunkEncoder``, whose chunk size follows the Set Chunk Size sent here.
/// Bad peer input produces ``Action/close(reply:error:)``; calling an event in a state where
/// the driver cannot have called it traps, naming the state.
public struct RTMPServerSession: Sendable {
    /// Settings of the session; every property has a documented default.
    public struct Configuration: Hashable, Sendable {
        /// The Window Acknowledgement Size sent after `connect` (§5.4.4). Default 2,500,000.
        public var windowAcknowledgementSize: UInt32
        /// The Set Peer Bandwidth size sent after `connect`, limit type dynamic (§5.4.5).
        /// Default 2,500,000.
        public var peerBandwidth: UInt32
        /// The chunk size announced after `connect` for messages this server sends (§5.4.1).
        /// Default 4096.
        public var chunkSize: UInt32
        /// The connection's limits; the session applies ``RTMPLimits/amf`` to commands and
        /// data (give the same value to the ``RTMPChunkDecoder``). Default ``RTMPLimits/default``.
        public var limits: RTMPLimits

        /// Creates a configuration; every parameter defaults to the documented value.
        public init(
            windowAcknowledgementSize: UInt32 = 2_500_000,
            peerBandwidth: UInt32 = 2_500_000,
            chunkSize: UInt32 = 4096,
            limits: RTMPLimits = .default
        ) {
            precondition((1...0x7FFF_FFFF).contains(chunkSize), "chunk size \(chunkSize) is out of range")
            self.windowAcknowledgementSize = windowAcknowledgementSize
            self.peerBandwidth = peerBandwidth
            self.chunkSize = chunkSize
            self.limits = limits
        }
    }

    /// What the driver does after an event.
    public enum Action: Hashable, Sendable {
        /// Nothing.
        case none
        /// Write these messages, in order.
        case send([RTMPMessage])
        /// Authorise this publish request, then call ``publishAccepted()`` or
        /// ``publishRejected(code:description:)`` before feeding further messages.
        case authorizePublish(RTMPPublishRequest)
        /// An audio message of the published stream: its timestamp on the 64-bit timeline
        /// (see ``RTMPMessage``) and the FLV audio tag body, not copied.
        case audio(timestamp: UInt64, payload: ByteBuffer)
        /// A video message of the published stream, as ``audio(timestamp:payload:)``.
        case video(timestamp: UInt64, payload: ByteBuffer)
        /// A data message of the published stream. `@setDataFrame` is stripped as FLV files
        /// store it, so metadata arrives as `["onMetaData", <ECMA array>]`.
        case data(timestamp: UInt64, values: [AMF0Value])
        /// Publishing ended; write `reply` (possibly empty) and keep the connection.
        case unpublished(reply: [RTMPMessage])
        /// Write `reply` (possibly empty), then close the connection; `error` says why,
        /// `nil` after a rejected publish.
        case close(reply: [RTMPMessage], error: RTMPError?)
    }

    struct Connection: Sendable {
        var app: String
        var appQuery: String?
        var tcURL: String?
        /// Message stream IDs below this were handed out by `createStream`.
        var nextStreamID: UInt32 = 1
    }

    enum State: Sendable {
        case awaitingConnect
        case connected(Connection)
        case awaitingPublishAuthorization(Connection, RTMPPublishRequest)
        case publishing(Connection, RTMPPublishRequest)
        case closed
    }

    /// The session's settings.
    public let configuration: Configuration
    var state: State = .awaitingConnect
    /// The peer's Window Acknowledgement Size; no acknowledgements until it sends one.
    var peerWindowAcknowledgementSize: UInt64?
    var bytesReceived: UInt64 = 0
    var bytesAcknowledged: UInt64 = 0

    /// Creates a session for a connection whose handshake is complete.
    /// - Parameter configuration: Settings; defaults to the documented defaults.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Whether a stream is being published (accepted and not yet unpublished).
    public var isPublishing: Bool {
        if case .publishing = state { return true }
        return false
    }
}
