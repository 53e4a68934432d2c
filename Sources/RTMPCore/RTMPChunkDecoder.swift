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
/// Every byte given is consumed: an incomplete chunk header is kept aside (at most 17 bytes)
/// and chunk data goes straight into its message's buffer, allocated once at the length the
/// header declares. So a message is copied once, from the receive buffer into its own, and
/// no message keeps a receive buffer alive. Input breaking the spec or ``RTMPLimits`` throws
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

    /// A parsed chunk header, not yet applied to the chunk stream's state.
    private struct ChunkHeader {
        var format: UInt8
        var chunkStreamID: UInt32
        /// The chunk stream's state with this header's fields.
        var stream: ChunkStream
        var previous: ChunkStream?
        /// The timestamp or delta the header carries (extended if present).
        var timestampField: UInt32
    }

    /// The chunk whose data is arriving.
    private struct ChunkInProgress {
        var chunkStreamID: UInt32
        var remaining: Int
    }

    /// The default chunk size before any Set Chunk Size (§5.4.1).
    public static let defaultChunkSize = 128
    /// The longest chunk header: a 3-byte basic header, an 11-byte type-0 header and a
    /// 4-byte extended timestamp.
    static let maximumHeaderLength = 18

    /// The limits this decoder enforces.
    public let limits: RTMPLimits
    /// The peer's current chunk size.
    public private(set) var chunkSize: Int = Self.defaultChunkSize
    private var chunkStreams: [UInt32: ChunkStream] = [:]
    /// Messages being reassembled, by csid, each in a buffer of its declared length.
    private var partialPayloads: [UInt32: ByteBuffer] = [:]
    /// The declared lengths of the messages being reassembled, added up.
    private var incompleteBytes = 0
    /// The start of a chunk header that the input ended in.
    private var stash = ByteBuffer()
    private var current: ChunkInProgress?
    private var pending = CircularBuffer<RTMPMessage>()
    private let allocator = ByteBufferAllocator()

    /// Creates a decoder for a connection's chunk stream, after the handshake.
    /// - Parameter limits: The limits to enforce; defaults to ``RTMPLimits/default``.
    public init(limits: RTMPLimits = .default) {
        self.limits = limits
    }

    /// Decodes the next message.
    /// - Parameter buffer: Received bytes; consumed chunk by chunk, all of them by the time
    ///   it returns `nil`.
    /// - Returns: The next complete message, or `nil` when more bytes are needed.
    /// - Throws: ``RTMPError`` for input that breaks the spec or the limits.
    public mutating func decode(buffer: inout ByteBuffer) throws -> RTMPMessage? {
        while true {
            if let message = pending.popFirst() {
                return message
            }
            guard try decodeStep(&buffer) else {
                return nil
            }
        }
    }

    /// Decodes what is left when the connection closes; an incomplete message is dropped
    /// with the connection.
    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> RTMPMessage? {
        try decode(buffer: &buffer)
    }

    /// Nothing to give back: the decoder consumes every byte it is given, so the receive
    /// buffer never holds unread bytes to move down.
    public func shouldReclaimBytes(buffer: ByteBuffer) -> Bool { false }

    /// Consumes a chunk header or chunk data; `false` when the input is used up.
    private mutating func decodeStep(_ buffer: inout ByteBuffer) throws -> Bool {
        guard var chunk = current else {
            guard let header = try readHeader(&buffer) else { return false }
            try begin(header)
            return true
        }
        guard buffer.readableBytes > 0 else { return false }
        let count = min(chunk.remaining, buffer.readableBytes)
        buffer.readWithUnsafeReadableBytes { bytes in
            partialPayloads[chunk.chunkStreamID]!.writeBytes(UnsafeRawBufferPointer(rebasing: bytes.prefix(count)))
            return count
        }
        chunk.remaining -= count
        if chunk.remaining > 0 {
            current = chunk
        } else {
            current = nil
            try finishChunk(on: chunk.chunkStreamID)
        }
        return true
    }

    /// Reads the next chunk header, from the kept-aside start of one and the input; keeps
    /// an incomplete header aside and returns `nil`.
    private mutating func readHeader(_ buffer: inout ByteBuffer) throws -> ChunkHeader? {
        guard buffer.readableBytes > 0 else { return nil }
        let stashed = stash.readableBytes
        if stashed == 0 {
            var input = buffer
            if let header = try parseHeader(&input) {
                buffer = input
                return header
            }
            stash.writeBuffer(&buffer)
            return nil
        }
        var input = stash
        let added = min(buffer.readableBytes, Self.maximumHeaderLength - stashed)
        input.writeImmutableBuffer(buffer.getSlice(at: buffer.readerIndex, length: added)!)
        let start = input.readerIndex
        guard let header = try parseHeader(&input) else {
            // Still short of a header: the input was shorter than what a header lacks.
            stash.writeBuffer(&buffer)
            return nil
        }
        buffer.moveReaderIndex(forwardBy: input.readerIndex - start - stashed)
        stash.clear()
        return header
    }

    /// Parses a chunk header (§5.3.1) against the chunk stream's state, changing nothing;
    /// `nil` if `input` ends first.
    private func parseHeader(_ input: inout ByteBuffer) throws -> ChunkHeader? {
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
        if format != 3, partialPayloads[chunkStreamID] != nil {
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
        return ChunkHeader(
            format: format, chunkStreamID: chunkStreamID, stream: stream, previous: previous,
            timestampField: timestampField
        )
    }

    /// Applies a chunk header: a first chunk starts its message (limits checked, timestamp
    /// placed, buffer allocated); the chunk's data follows.
    private mutating func begin(_ header: ChunkHeader) throws {
        var stream = header.stream
        let chunkStreamID = header.chunkStreamID
        let received = partialPayloads[chunkStreamID]?.readableBytes
        if received == nil {
            guard stream.messageLength <= limits.maxMessageLength else {
                throw RTMPError(
                    .messageTooLong,
                    "message of \(stream.messageLength) bytes exceeds the limit of \(limits.maxMessageLength)"
                )
            }
            guard incompleteBytes + stream.messageLength <= limits.maxIncompleteMessageBytes else {
                throw RTMPError(
                    .incompleteMessagesTooLarge,
                    "partly received messages exceed \(limits.maxIncompleteMessageBytes) bytes"
                )
            }
            stream.timestampField = header.timestampField
            if header.format == 0 {
                stream.timestamp =
                    header.previous == nil
                    ? UInt64(header.timestampField) : Self.unwrap(header.timestampField, after: stream.timestamp)
            } else {
                stream.timestamp += UInt64(header.timestampField)
            }
            incompleteBytes += stream.messageLength
            partialPayloads[chunkStreamID] = allocator.buffer(capacity: stream.messageLength)
        }
        chunkStreams[chunkStreamID] = stream
        let chunkLength = min(chunkSize, stream.messageLength - (received ?? 0))
        if chunkLength > 0 {
            current = ChunkInProgress(chunkStreamID: chunkStreamID, remaining: chunkLength)
        } else {
            try finishChunk(on: chunkStreamID)
        }
    }

    /// A chunk's data is in: when it completes its message, the message is applied.
    private mutating func finishChunk(on chunkStreamID: UInt32) throws {
        guard let stream = chunkStreams[chunkStreamID],
            partialPayloads[chunkStreamID]?.readableBytes == stream.messageLength,
            let payload = partialPayloads.removeValue(forKey: chunkStreamID)
        else { return }
        incompleteBytes -= stream.messageLength
        try apply(
            RTMPMessage(
                type: stream.type,
                timestamp: stream.timestamp,
                messageStreamID: stream.messageStreamID,
                chunkStreamID: chunkStreamID,
                payload: payload
            )
        )
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
            if partialPayloads.removeValue(forKey: id) != nil, let stream = chunkStreams[id] {
                incompleteBytes -= stream.messageLength
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
