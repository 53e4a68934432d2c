import NIOCore

/// An RTMP message as the chunk stream carries it (RTMP spec 1.0 §5.3, §6.1): a type, a
/// timestamp, a message stream ID and an undecoded payload. ``RTMPMessageBody`` decodes and
/// encodes payloads.
///
/// ## Timestamps
/// ``timestamp`` is in milliseconds on a 64-bit timeline that never wraps. The chunk decoder
/// keeps one timeline per chunk stream: deltas (chunk types 1–3) move it forward; an absolute
/// timestamp (chunk type 0) is placed at the 64-bit value nearest the previous one that has
/// the same low 32 bits (serial-number arithmetic, as RFC 1982 compares sequence numbers), so
/// 0xFFFF_FFF0 followed by 0x0000_0010 reads as 32 ms later, not 49 days earlier. A backward
/// step that would go below zero is read forward. The first absolute timestamp of a chunk
/// stream is taken as is.
public struct RTMPMessage: Hashable, Sendable {
    /// The message type ID (§5.4, §7.1).
    public var type: RTMPMessageType
    /// Milliseconds on the chunk stream's 64-bit timeline (see above).
    public var timestamp: UInt64
    /// The message stream ID: 0 for the NetConnection, else a NetStream made by `createStream`.
    public var messageStreamID: UInt32
    /// The chunk stream (csid, 2...65599) the message travelled or will travel on.
    public var chunkStreamID: UInt32
    /// The message payload, not copied from the received bytes.
    public var payload: ByteBuffer

    /// Creates a message.
    /// - Parameters:
    ///   - type: The message type ID.
    ///   - timestamp: Milliseconds; the chunk encoder sends the low 32 bits.
    ///   - messageStreamID: The message stream ID.
    ///   - chunkStreamID: The chunk stream ID; defaults to ``RTMPMessageType/defaultChunkStreamID``.
    ///   - payload: The payload bytes.
    public init(
        type: RTMPMessageType,
        timestamp: UInt64 = 0,
        messageStreamID: UInt32 = 0,
        chunkStreamID: UInt32? = nil,
        payload: ByteBuffer
    ) {
        self.type = type
        self.timestamp = timestamp
        self.messageStreamID = messageStreamID
        self.chunkStreamID = chunkStreamID ?? type.defaultChunkStreamID
        self.payload = payload
    }
}

/// A message type ID (RTMP spec 1.0 §5.4 and §7.1). Unknown IDs are kept, not rejected.
public struct RTMPMessageType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// §5.4.1 Set Chunk Size.
    public static let setChunkSize = RTMPMessageType(rawValue: 1)
    /// §5.4.2 Abort Message.
    public static let abort = RTMPMessageType(rawValue: 2)
    /// §5.4.3 Acknowledgement.
    public static let acknowledgement = RTMPMessageType(rawValue: 3)
    /// §6.2 / §7.1.7 User Control Message.
    public static let userControl = RTMPMessageType(rawValue: 4)
    /// §5.4.4 Window Acknowledgement Size.
    public static let windowAcknowledgementSize = RTMPMessageType(rawValue: 5)
    /// §5.4.5 Set Peer Bandwidth.
    public static let setPeerBandwidth = RTMPMessageType(rawValue: 6)
    /// §7.1.5 Audio Message.
    public static let audio = RTMPMessageType(rawValue: 8)
    /// §7.1.5 Video Message.
    public static let video = RTMPMessageType(rawValue: 9)
    /// §7.1.2 Data Message, AMF3 (a format byte, then AMF0 values that may switch to AMF3).
    public static let dataAMF3 = RTMPMessageType(rawValue: 15)
    /// §7.1.3 Shared Object Message, AMF3 (not supported by this server).
    public static let sharedObjectAMF3 = RTMPMessageType(rawValue: 16)
    /// §7.1.1 Command Message, AMF3 (a format byte, then AMF0 values that may switch to AMF3).
    public static let commandAMF3 = RTMPMessageType(rawValue: 17)
    /// §7.1.2 Data Message, AMF0.
    public static let dataAMF0 = RTMPMessageType(rawValue: 18)
    /// §7.1.3 Shared Object Message, AMF0 (not supported by this server).
    public static let sharedObjectAMF0 = RTMPMessageType(rawValue: 19)
    /// §7.1.1 Command Message, AMF0.
    public static let commandAMF0 = RTMPMessageType(rawValue: 20)
    /// §7.1.6 Aggregate Message; the chunk decoder splits these into their sub-messages.
    public static let aggregate = RTMPMessageType(rawValue: 22)

    /// Whether this is a protocol control message (types 1–6), which travels on message
    /// stream 0 and whose effect is immediate (§5.4).
    public var isProtocolControl: Bool {
        (1...6).contains(rawValue)
    }

    /// The conventional chunk stream for this type: 2 for protocol control (required by
    /// §5.4), 3 for commands and data on the connection, 4 audio, 6 video, 5 other stream data.
    public var defaultChunkStreamID: UInt32 {
        switch self {
        case _ where isProtocolControl: 2
        case .audio: 4
        case .video: 6
        case .commandAMF0, .commandAMF3: 3
        default: 5
        }
    }

    public var description: String {
        switch self {
        case .setChunkSize: "setChunkSize(1)"
        case .abort: "abort(2)"
        case .acknowledgement: "acknowledgement(3)"
        case .userControl: "userControl(4)"
        case .windowAcknowledgementSize: "windowAcknowledgementSize(5)"
        case .setPeerBandwidth: "setPeerBandwidth(6)"
        case .audio: "audio(8)"
        case .video: "video(9)"
        case .dataAMF3: "dataAMF3(15)"
        case .sharedObjectAMF3: "sharedObjectAMF3(16)"
        case .commandAMF3: "commandAMF3(17)"
        case .dataAMF0: "dataAMF0(18)"
        case .sharedObjectAMF0: "sharedObjectAMF0(19)"
        case .commandAMF0: "commandAMF0(20)"
        case .aggregate: "aggregate(22)"
        default: "type(\(rawValue))"
        }
    }
}
