import AMF
import NIOCore

/// The typed content of an ``RTMPMessage``, one case per message type (RTMP spec 1.0 §5.4,
/// §7.1). Media payloads are kept as the received `ByteBuffer`s, never copied.
public enum RTMPMessageBody: Hashable, Sendable {
    /// Type 1, §5.4.1: the sender's new maximum chunk size.
    case setChunkSize(UInt32)
    /// Type 2, §5.4.2: discard the partly received message on a chunk stream.
    case abort(chunkStreamID: UInt32)
    /// Type 3, §5.4.3: the bytes received so far.
    case acknowledgement(sequenceNumber: UInt32)
    /// Type 4, §6.2 and §7.1.7.
    case userControl(RTMPUserControlEvent)
    /// Type 5, §5.4.4: the sender expects an Acknowledgement after this many bytes.
    case windowAcknowledgementSize(UInt32)
    /// Type 6, §5.4.5: limit the receiver's output bandwidth.
    case setPeerBandwidth(UInt32, limitType: RTMPPeerBandwidthLimitType)
    /// Type 8: an FLV audio tag body (legacy or enhanced-RTMP `ExAudioTagHeader`).
    case audio(ByteBuffer)
    /// Type 9: an FLV video tag body (legacy or enhanced-RTMP `ExVideoTagHeader`).
    case video(ByteBuffer)
    /// Type 15: data after the AMF3 format byte.
    case dataAMF3([AMF0Value])
    /// Type 17: a command after the AMF3 format byte.
    case commandAMF3(RTMPCommand)
    /// Type 18: AMF0 data such as `@setDataFrame` or `onMetaData`.
    case dataAMF0([AMF0Value])
    /// Type 20: an AMF0 command.
    case commandAMF0(RTMPCommand)
    /// Type 22: an aggregate (the chunk decoder splits these before anyone sees them).
    case aggregate(ByteBuffer)
    /// Shared-object messages (16, 19) and unknown types, undecoded.
    case unsupported(RTMPMessageType, ByteBuffer)

    /// Decodes a message's payload; the payload must be consumed exactly.
    /// - Parameters:
    ///   - message: The message to decode.
    ///   - limits: Limits for AMF in command and data messages.
    /// - Throws: ``RTMPError`` with ``RTMPError/Code/malformedMessage`` or
    ///   ``RTMPError/Code/amfDecodingFailed``.
    public init(decoding message: RTMPMessage, limits: AMFDecodingLimits = .default) throws(RTMPError) {
        let payload = message.payload
        func control<T>(_ decode: () throws(RTMPPartialDecodingError) -> T) throws(RTMPError) -> T {
            do {
                return try decode()
            } catch {
                throw RTMPError(.malformedMessage, error, context: "\(message.type) message")
            }
        }
        switch message.type {
        case .setChunkSize:
            self = .setChunkSize(try control { () throws(RTMPPartialDecodingError) in try Self.readUInt32(payload) })
        case .abort:
            self = .abort(
                chunkStreamID: try control { () throws(RTMPPartialDecodingError) in try Self.readUInt32(payload) }
            )
        case .acknowledgement:
            self = .acknowledgement(
                sequenceNumber: try control { () throws(RTMPPartialDecodingError) in try Self.readUInt32(payload) }
            )
        case .windowAcknowledgementSize:
            self = .windowAcknowledgementSize(
                try control { () throws(RTMPPartialDecodingError) in try Self.readUInt32(payload) }
            )
        case .setPeerBandwidth:
            let (size, limit) = try control { () throws(RTMPPartialDecodingError) in
                guard payload.readableBytes == 5,
                    let fields = payload.getMultipleIntegers(at: payload.readerIndex, as: (UInt32, UInt8).self)
                else {
                    throw .expectedBytes(5, actual: payload.readableBytes)
                }
                return fields
            }
            self = .setPeerBandwidth(size, limitType: RTMPPeerBandwidthLimitType(rawValue: limit))
        case .userControl:
            self = .userControl(
                try control { () throws(RTMPPartialDecodingError) in try RTMPUserControlEvent(decoding: payload) }
            )
        case .audio:
            self = .audio(payload)
        case .video:
            self = .video(payload)
        case .dataAMF0:
            self = .dataAMF0(try ByteBuffer.decodeAMF0Values(payload, limits: limits, context: "data message"))
        case .dataAMF3:
            let values = try control { () throws(RTMPPartialDecodingError) in try Self.skipFormatByte(payload) }
            self = .dataAMF3(try ByteBuffer.decodeAMF0Values(values, limits: limits, context: "data message"))
        case .commandAMF0:
            self = .commandAMF0(try RTMPCommand(decoding: payload, limits: limits))
        case .commandAMF3:
            let command = try control { () throws(RTMPPartialDecodingError) in try Self.skipFormatByte(payload) }
            self = .commandAMF3(try RTMPCommand(decoding: command, limits: limits))
        case .aggregate:
            self = .aggregate(payload)
        default:
            self = .unsupported(message.type, payload)
        }
    }

    /// The message type that carries this body.
    public var type: RTMPMessageType {
        switch self {
        case .setChunkSize: .setChunkSize
        case .abort: .abort
        case .acknowledgement: .acknowledgement
        case .userControl: .userControl
        case .windowAcknowledgementSize: .windowAcknowledgementSize
        case .setPeerBandwidth: .setPeerBandwidth
        case .audio: .audio
        case .video: .video
        case .dataAMF3: .dataAMF3
        case .commandAMF3: .commandAMF3
        case .dataAMF0: .dataAMF0
        case .commandAMF0: .commandAMF0
        case .aggregate: .aggregate
        case .unsupported(let type, _): type
        }
    }

    /// Encodes the body into a message.
    /// - Parameters:
    ///   - timestamp: The message timestamp in milliseconds.
    ///   - messageStreamID: The message stream; 0 for protocol control and NetConnection commands.
    ///   - chunkStreamID: The chunk stream; defaults to ``RTMPMessageType/defaultChunkStreamID``.
    /// - Returns: The message.
    public func message(timestamp: UInt64 = 0, messageStreamID: UInt32 = 0, chunkStreamID: UInt32? = nil) -> RTMPMessage
    {
        var payload = ByteBuffer()
        switch self {
        case .setChunkSize(let value), .abort(let value), .acknowledgement(let value),
            .windowAcknowledgementSize(let value):
            payload.writeInteger(value)
        case .userControl(let event):
            event.write(into: &payload)
        case .setPeerBandwidth(let size, let limitType):
            payload.writeMultipleIntegers(size, limitType.rawValue)
        case .audio(let data), .video(let data), .aggregate(let data), .unsupported(_, let data):
            payload = data
        case .dataAMF0(let values):
            for value in values { payload.writeAMF0Value(value) }
        case .dataAMF3(let values):
            payload.writeInteger(UInt8(0))
            for value in values { payload.writeAMF0Value(value) }
        case .commandAMF0(let command):
            command.write(into: &payload)
        case .commandAMF3(let command):
            payload.writeInteger(UInt8(0))
            command.write(into: &payload)
        }
        return RTMPMessage(
            type: type,
            timestamp: timestamp,
            messageStreamID: messageStreamID,
            chunkStreamID: chunkStreamID,
            payload: payload
        )
    }

    private static func readUInt32(_ payload: ByteBuffer) throws(RTMPPartialDecodingError) -> UInt32 {
        guard payload.readableBytes == 4, let value = payload.getInteger(at: payload.readerIndex, as: UInt32.self)
        else {
            throw .expectedBytes(4, actual: payload.readableBytes)
        }
        return value
    }

    /// AMF3 command and data messages start with a format byte of 0 (§7.1.1, §7.1.2).
    private static func skipFormatByte(_ payload: ByteBuffer) throws(RTMPPartialDecodingError) -> ByteBuffer {
        guard payload.getInteger(at: payload.readerIndex, as: UInt8.self) == 0 else {
            throw RTMPPartialDecodingError("AMF3 message without a zero format byte")
        }
        return payload.getSlice(at: payload.readerIndex + 1, length: payload.readableBytes - 1)!
    }
}

/// The limit type of Set Peer Bandwidth (RTMP spec 1.0 §5.4.5).
public struct RTMPPeerBandwidthLimitType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// 0: limit output to the window size.
    public static let hard = RTMPPeerBandwidthLimitType(rawValue: 0)
    /// 1: limit output to the smaller of this and the current limit.
    public static let soft = RTMPPeerBandwidthLimitType(rawValue: 1)
    /// 2: hard if the previous limit was hard, else ignore.
    public static let dynamic = RTMPPeerBandwidthLimitType(rawValue: 2)
}
