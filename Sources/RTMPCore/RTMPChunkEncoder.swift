import NIOCore

/// Splits messages into chunks (RTMP spec 1.0 §5.3), the inverse of ``RTMPChunkDecoder``.
///
/// The first message on a chunk stream gets a type-0 header; later ones a type-1 header
/// (same message stream, forward timestamp), type 2 (also same length and type) or type 3
/// (also the same delta as the previous type 1/2/3 header), the compression §5.3.1.2
/// describes. A message whose stream ID changes or whose timestamp goes backward gets a
/// type-0 header again. Continuation chunks are type 3. Timestamps and deltas of
/// 0xFF_FFFF and more use the extended timestamp field (§5.3.1.3), repeated on every type-3
/// chunk of the message. Writing a Set Chunk Size message changes the chunk size for the
/// chunks that follow it.
public struct RTMPChunkEncoder: Sendable {
    private struct ChunkStream: Sendable {
        var messageLength: Int
        var type: RTMPMessageType
        var messageStreamID: UInt32
        var timestamp: UInt64
        /// The delta of the last type 1/2/3 header; `nil` after a type-0 header.
        var delta: UInt32?
    }

    /// The chunk size used for outgoing chunks; 128 until a Set Chunk Size is written.
    public private(set) var chunkSize: Int = RTMPChunkDecoder.defaultChunkSize
    private var chunkStreams: [UInt32: ChunkStream] = [:]

    /// Creates an encoder with the default chunk size of 128.
    public init() {}

    /// Appends `message` as chunks to `buffer`.
    ///
    /// The message goes on ``RTMPMessage/chunkStreamID`` (2...65599) with the low 32 bits of
    /// its timestamp.
    /// - Parameters:
    ///   - message: The message; its payload must be shorter than 16 MiB (§5.3.1.2.1).
    ///   - buffer: Where the chunks are written.
    public mutating func encode(_ message: RTMPMessage, into buffer: inout ByteBuffer) {
        let length = message.payload.readableBytes
        precondition(length <= 0xFF_FFFF, "an RTMP message holds at most 16 MiB - 1 bytes, not \(length)")
        precondition((2...65_599).contains(message.chunkStreamID), "csid \(message.chunkStreamID) is out of range")

        let format: UInt8
        let timestampField: UInt32
        let previous = chunkStreams[message.chunkStreamID]
        if let previous, previous.messageStreamID == message.messageStreamID,
            message.timestamp >= previous.timestamp, message.timestamp - previous.timestamp <= UInt32.max
        {
            let delta = UInt32(message.timestamp - previous.timestamp)
            timestampField = delta
            if previous.messageLength != length || previous.type != message.type {
                format = 1
            } else if previous.delta == delta {
                format = 3
            } else {
                format = 2
            }
            chunkStreams[message.chunkStreamID] = ChunkStream(
                messageLength: length,
                type: message.type,
                messageStreamID: message.messageStreamID,
                timestamp: message.timestamp,
                delta: delta
            )
        } else {
            format = 0
            timestampField = UInt32(truncatingIfNeeded: message.timestamp)
            chunkStreams[message.chunkStreamID] = ChunkStream(
                messageLength: length,
                type: message.type,
                messageStreamID: message.messageStreamID,
                timestamp: message.timestamp,
                delta: nil
            )
        }
        let extended = timestampField >= 0xFF_FFFF

        writeBasicHeader(format: format, chunkStreamID: message.chunkStreamID, into: &buffer)
        if format <= 2 {
            buffer.writeUInt24(extended ? 0xFF_FFFF : timestampField)
        }
        if format <= 1 {
            buffer.writeUInt24(UInt32(length))
            buffer.writeInteger(message.type.rawValue)
        }
        if format == 0 {
            buffer.writeInteger(message.messageStreamID, endianness: .little)
        }
        if extended {
            buffer.writeInteger(timestampField)
        }

        var payload = message.payload
        var first = true
        repeat {
            if !first {
                writeBasicHeader(format: 3, chunkStreamID: message.chunkStreamID, into: &buffer)
                if extended {
                    buffer.writeInteger(timestampField)
                }
            }
            first = false
            let slice = payload.readSlice(length: min(chunkSize, payload.readableBytes))!
            buffer.writeImmutableBuffer(slice)
        } while payload.readableBytes > 0

        if message.type == .setChunkSize,
            let size = message.payload.getInteger(at: message.payload.readerIndex, as: UInt32.self),
            (1...0x7FFF_FFFF).contains(size)
        {
            chunkSize = Int(size)
        }
    }

    /// §5.3.1.1: one byte for csid 2...63, two for 64...319, three for 320...65599.
    private func writeBasicHeader(format: UInt8, chunkStreamID: UInt32, into buffer: inout ByteBuffer) {
        switch chunkStreamID {
        case 2...63:
            buffer.writeInteger(format << 6 | UInt8(chunkStreamID))
        case 64...319:
            buffer.writeInteger(format << 6)
            buffer.writeInteger(UInt8(chunkStreamID - 64))
        default:
            buffer.writeInteger(format << 6 | 1)
            buffer.writeInteger(UInt8(truncatingIfNeeded: chunkStreamID - 64))
            buffer.writeInteger(UInt8(truncatingIfNeeded: (chunkStreamID - 64) >> 8))
        }
    }
}
