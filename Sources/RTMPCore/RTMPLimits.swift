import AMF

/// The limits a connection's decoders enforce on what a peer may make this server hold,
/// in the shape of swift-nio's `NIOHTTPDecoderLimitConfiguration`. Exceeding one is an
/// ``RTMPError``, never a crash or unbounded allocation.
///
/// There is deliberately no chunk-size limit: Set Chunk Size accepts the whole range of
/// RTMP spec 1.0 §5.4.1 (1...0x7FFF_FFFF; 0 and values with the top bit set are errors).
/// A chunk never carries more than the rest of its message, so memory is bounded by
/// ``maxMessageLength`` and ``maxIncompleteMessageBytes`` whatever chunk size the peer picks.
public struct RTMPLimits: Hashable, Sendable {
    /// The longest message a header may declare, in bytes. Default 8 MiB: a keyframe of a
    /// 4K stream is well under it, and a header declaring the 24-bit maximum (16 MiB − 1,
    /// RTMP spec 1.0 §5.3.1.2.1) is rejected before any of it is buffered.
    public var maxMessageLength: Int
    /// How many chunk streams (distinct csids, §5.3.1.1) a peer may use on one connection.
    /// Default 64; publishers use fewer than ten.
    public var maxChunkStreams: Int
    /// The most bytes held for partly received messages across all chunk streams, counted
    /// at their declared lengths (a message's buffer is allocated whole when its first chunk
    /// arrives). Default 32 MiB; one message still cannot exceed ``maxMessageLength``.
    public var maxIncompleteMessageBytes: Int
    /// Limits for AMF0 in command and data messages (depth, elements, string length).
    public var amf: AMFDecodingLimits

    /// Creates limits; every parameter defaults to the documented value.
    public init(
        maxMessageLength: Int = 8 * 1024 * 1024,
        maxChunkStreams: Int = 64,
        maxIncompleteMessageBytes: Int = 32 * 1024 * 1024,
        amf: AMFDecodingLimits = .default
    ) {
        self.maxMessageLength = maxMessageLength
        self.maxChunkStreams = maxChunkStreams
        self.maxIncompleteMessageBytes = maxIncompleteMessageBytes
        self.amf = amf
    }

    /// The defaults listed on each property.
    public static let `default` = RTMPLimits()
}
