import NIOCore

/// Reassembles RTMP messages from the chunk stream (RTMP spec 1.0 §5.3).
///
/// - Chunk types 0–3 with 1-, 2- and 3-byte basic headers (csid 2...65599, §5.3.1.1).
/// - Extended timestamps (§5.3.1.3), also on type-3 chunks when the chunk stream's last
///   type 0/1/2 header carried one, as the spec and real encoders do.
/// - A type-3 chunk that starts a new message reuses the chunk stream's last timestamp field
///   as its delta (after a type-0 header that is the absolute timestamp, as librtmp and
///   FFmpeg read it).
/// - Interleaved chunk streams, each reassembled separately.
/// - Set Chunk Size (§5.4.1) and Abort (§5.4.2) take effect here, as soon as they are
///   decoded, because a pipeline decodes ahead of whoever consumes the messages; both are
///   still returned. Set Chunk Size accepts 1...0x7FFF_FFFF; 0 or the top bit set is
///   ``RTMPError/Code/invalidChunkSize``.
/// - Aggregate messages (§7.1.6) are returned as their audio, video and data sub-messages;
///   each sub-message's timestamp is the aggregate's plus its offset from the first
///   sub-message's timestamp.
/// - Timestamps become 64-bit, see ``RTMPMessage``.
///
/// Short input rewinds and returns `nil`. Input breaking the spec or ``RTMPLimits`` throws
/// an ``RTMPError``; the connection should then be closed, as the decoder's state is undefined.
public struct RTMPChunkDecoder: NIOSingleStepByteToMessageDecoder, Sendable {
    public typealias InboundOut = RTMPMessage

    private struct ChunkStream: Sendable {
        var messageLength: Int
        var type: RTMPMessageType
        var messageStreamID: UInt32
        /// The last timestamp field: absolute after type 0, the delta after types 1–3.
        var timestampField: UInt32
        /// Whether the last type 0/1/2 header carried an extended timestamp.
        var hasExtendedTimestamp: Bool
        /// The timestamp of the message in progress or last completed.
        var timestamp: UInt64
    }

    /// The default chunk size before any Set Chunk Size (§5.4.1).
    public static let defaultChunkSize = 128

    /// The limits this decoder enforces.
    public let limits: RTMPLimits
    /// The peer's current chunk size.
    public private(set) var chunkSize: Int = Self.defaultChunkSize
    private var chunkStreams: [UInt32: ChunkStream] = [:]
    /// Messages being reassembled, by csid; kept apart from `chunkStreams` so appending
    /// never copies a payload another reference shares.
    private var partialPayloads: [UInt32: ByteBuffer] = [:]
    private var incompleteBytes = 0
    private var pending = CircularBuffer<RTMPMessage>()

    /// Creates a decoder for a connection's chunk stream, after the handshake.
    /// - Parameter limits: The limits to enforce; defaults to ``RTMPLimits/default``.
    public init(limits: RTMPLimits = .default) {
        self.limits = limits
    }

    /// Decodes the next message.
    /// - Parameter buffer: Received bytes; consumed chunk by chunk.
    /// - Returns: The next complete message, or `nil` when more bytes are needed.
    /// - Throws: ``RTMPError`` for input that breaks the spec or the limits.
    public mutating func decode(buffer: inout ByteBuffer) throws -> RTMPMessage? {
        while true {
            if let message = pending.popFirst() {
                return message
            }
            guard let chunk = try decodeChunk(&buffer) else {
                return nil
            }
            if let message = chunk {
                try apply(message)
            }
        }
    }

    /// Decodes what is left when the connection closes; an incomplete message is left
    /// in the buffer.
    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> RTMPMessage? {
        try decode(buffer: &buffer)
    }

    /// Reads one chunk: `nil` if incomplete (nothing consumed), `.some(nil)` if it did not
    /// complete a message, `.some(message)` if it did.
    private mutating func decodeChunk(_ buffer: inout ByteBuffer) throws -> RTMPMessage?? {
        var input = buffer
        guard let first = input.readInteger(as: UInt8.self) else { return nil }
        let format = first >> 6
        let chunkStreamID: UInt32
        switch first & 0x3F {
        case 0:
            guard let byte = input.readInteger(as: UInt8.self) else { return nil }
            chunkStreamID = 64 + UInt32(byte)
        case 1:
            guard let low = input.readInteger(as: UInt8.self), let high = input.readInteger(as: UInt8.self) else {
                return nil
            }
            chunkStreamID = 64 + UInt32(low) + UInt32(high) * 256
        case let id:
            chunkStreamID = UInt32(id)
        }

        let previous = chunkStreams[chunkStreamID]
        if previous == nil {
            guard format == 0 else {
                throw RTMPError(.missingPreviousHeader, "chunk type \(format) opens chunk stream \(chunkStreamID)")
            }
            guard chunkStreams.count < limits.maxChunkStreams else {
                throw RTMPError(.tooManyChunkStreams, "more than \(limits.maxChunkStreams) chunk streams")
            }
        }
        let received = partialPayloads[chunkStreamID]?.readableBytes
        if format != 3, received != nil {
            throw RTMPError(
                .malformedMessage,
                "chunk type \(format) on chunk stream \(chunkStreamID) in the middle of a message"
            )
        }

        var stream: ChunkStream
        var timestampField: UInt32 = 0
        switch format {
        case 0:
            guard input.readableBytes >= 11, let timestamp = input.readUInt24(), let length = input.readUInt24(),
                let type = input.readInteger(as: UInt8.self),
                let messageStreamID = input.readInteger(endianness: .little, as: UInt32.self)
            else { return nil }
            timestampField = timestamp
            stream = ChunkStream(
                messageLength: Int(length),
                type: RTMPMessageType(rawValue: type),
                messageStreamID: messageStreamID,
                timestampField: timestamp,
                hasExtendedTimestamp: timestamp == 0xFF_FFFF,
                timestamp: previous?.timestamp ?? 0
            )
        case 1:
            guard input.readableBytes >= 7, let delta = input.readUInt24(), let length = input.readUInt24(),
                let type = input.readInteger(as: UInt8.self)
            else { return nil }
            timestampField = delta
            stream = previous!
            stream.messageLength = Int(length)
            stream.type = RTMPMessageType(rawValue: type)
            stream.hasExtendedTimestamp = delta == 0xFF_FFFF
        case 2:
            guard let delta = input.readUInt24() else { return nil }
            timestampField = delta
            stream = previous!
            stream.hasExtendedTimestamp = delta == 0xFF_FFFF
        default:
            stream = previous!
            timestampField = stream.timestampField
        }
        if stream.hasExtendedTimestamp {
            guard let extended = input.readInteger(as: UInt32.self) else { return nil }
            timestampField = extended
        }

        if received == nil {
            guard stream.messageLength <= limits.maxMessageLength else {
                throw RTMPError(
                    .messageTooLong,
                    "message of \(stream.messageLength) bytes exceeds the limit of \(limits.maxMessageLength)"
                )
            }
            stream.timestampField = timestampField
            if format == 0 {
                stream.timestamp =
                    previous == nil ? UInt64(timestampField) : Self.unwrap(timestampField, after: stream.timestamp)
            } else {
                stream.timestamp += UInt64(timestampField)
            }
        }

        let chunkLength = min(chunkSize, stream.messageLength - (received ?? 0))
        guard let data = input.readSlice(length: chunkLength) else { return nil }
        buffer = input
        chunkStreams[chunkStreamID] = stream

        let message: RTMPMessage?
        if (received ?? 0) + chunkLength == stream.messageLength {
            let payload: ByteBuffer
            if var partial = partialPayloads.removeValue(forKey: chunkStreamID) {
                partial.writeImmutableBuffer(data)
                payload = partial
                incompleteBytes -= partial.readableBytes - chunkLength
            } else {
                payload = data
            }
            message = RTMPMessage(
                type: stream.type,
                timestamp: stream.timestamp,
                messageStreamID: stream.messageStreamID,
                chunkStreamID: chunkStreamID,
                payload: payload
            )
        } else {
            guard incompleteBytes + chunkLength <= limits.maxIncompleteMessageBytes else {
                throw RTMPError(
                    .incompleteMessagesTooLarge,
                    "partly received messages exceed \(limits.maxIncompleteMessageBytes) bytes"
                )
            }
            incompleteBytes += chunkLength
            var partial = partialPayloads.removeValue(forKey: chunkStreamID) ?? ByteBuffer()
            if received == nil {
                partial.reserveCapacity(min(stream.messageLength, 65_536))
            }
            partial.writeImmutableBuffer(data)
            partialPayloads[chunkStreamID] = partial
            message = nil
        }
        return .some(message)
    }

    /// Applies Set Chunk Size and Abort, splits aggregates, and queues the result.
    private mutating func apply(_ message: RTMPMessage) throws {
        switch message.type {
        case .setChunkSize:
            guard let size = message.payload.getInteger(at: message.payload.readerIndex, as: UInt32.self) else {
                throw RTMPError(.malformedMessage, "Set Chunk Size of \(message.payload.readableBytes) bytes")
            }
            guard size != 0, size & 0x8000_0000 == 0 else {
                throw RTMPError(.invalidChunkSize, "Set Chunk Size \(size)")
            }
            chunkSize = Int(size)
            pending.append(message)
        case .abort:
            guard let id = message.payload.getInteger(at: message.payload.readerIndex, as: UInt32.self) else {
                throw RTMPError(.malformedMessage, "Abort of \(message.payload.readableBytes) bytes")
            }
            if let partial = partialPayloads.removeValue(forKey: id) {
                incompleteBytes -= partial.readableBytes
            }
            pending.append(message)
        case .aggregate:
            try splitAggregate(message)
        default:
            pending.append(message)
        }
    }

    /// Queues the sub-messages of an aggregate (§7.1.6): each is an FLV-style tag header
    /// (type, 24-bit size, 24-bit timestamp + 8-bit extension, 24-bit stream ID), the data,
    /// and a 4-byte back pointer.
    private mutating func splitAggregate(_ aggregate: RTMPMessage) throws {
        var payload = aggregate.payload
        var firstTimestamp: UInt32?
        while payload.readableBytes > 0 {
            guard payload.readableBytes >= 11, let type = payload.readInteger(as: UInt8.self),
                let size = payload.readUInt24(), let low = payload.readUInt24(),
                let high = payload.readInteger(as: UInt8.self), payload.readUInt24() != nil
            else {
                throw RTMPError(.malformedMessage, "aggregate sub-message header truncated")
            }
            let subType = RTMPMessageType(rawValue: type)
            guard [.audio, .video, .dataAMF0, .dataAMF3].contains(subType) else {
                throw RTMPError(.malformedMessage, "aggregate holds a sub-message of type \(subType)")
            }
            guard let data = payload.readSlice(length: Int(size)), payload.readInteger(as: UInt32.self) != nil else {
                throw RTMPError(.malformedMessage, "aggregate sub-message of \(size) bytes truncated")
            }
            let timestamp = UInt32(high) << 24 | low
            let offset = Int64(Int32(bitPattern: timestamp &- (firstTimestamp ?? timestamp)))
            firstTimestamp = firstTimestamp ?? timestamp
            let rebased = Int64(aggregate.timestamp) + offset
            pending.append(
                RTMPMessage(
                    type: subType,
                    timestamp: UInt64(max(rebased, 0)),
                    messageStreamID: aggregate.messageStreamID,
                    chunkStreamID: aggregate.chunkStreamID,
                    payload: data
                )
            )
        }
    }

    /// Places a 32-bit absolute timestamp on the 64-bit timeline nearest `previous`
    /// (serial-number arithmetic, see ``RTMPMessage``).
    static func unwrap(_ timestamp: UInt32, after previous: UInt64) -> UInt64 {
        let forward = timestamp &- UInt32(truncatingIfNeeded: previous)
        if forward < 0x8000_0000 {
            return previous + UInt64(forward)
        }
        let backward = UInt64(UInt32(truncatingIfNeeded: previous) &- timestamp)
        return backward <= previous ? previous - backward : previous + UInt64(forward)
    }
}
