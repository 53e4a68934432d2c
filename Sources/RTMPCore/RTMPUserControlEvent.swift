import NIOCore

/// A User Control Message event (RTMP spec 1.0 §7.1.7): a 16-bit event type and its data.
public enum RTMPUserControlEvent: Hashable, Sendable {
    /// Type 0: the server is ready to use the message stream.
    case streamBegin(messageStreamID: UInt32)
    /// Type 1: playback of the message stream ended.
    case streamEOF(messageStreamID: UInt32)
    /// Type 2: no more data on the message stream for now.
    case streamDry(messageStreamID: UInt32)
    /// Type 3: the client's buffer length for a stream, in milliseconds.
    case setBufferLength(messageStreamID: UInt32, milliseconds: UInt32)
    /// Type 4: the message stream is a recorded stream.
    case streamIsRecorded(messageStreamID: UInt32)
    /// Type 6: the peer asks for a Ping Response carrying `timestamp`.
    case pingRequest(timestamp: UInt32)
    /// Type 7: the answer to a Ping Request.
    case pingResponse(timestamp: UInt32)
    /// Any other event type (for example SWF verification, 26), kept undecoded.
    case other(eventType: UInt16, data: ByteBuffer)

    /// Decodes an event from a whole User Control payload.
    init(decoding payload: ByteBuffer) throws(RTMPPartialDecodingError) {
        var payload = payload
        guard let eventType = payload.readInteger(as: UInt16.self) else {
            throw .expectedBytes(2, actual: payload.readableBytes)
        }
        func readUInt32() throws(RTMPPartialDecodingError) -> UInt32 {
            guard let value = payload.readInteger(as: UInt32.self) else {
                throw .expectedBytes(4, actual: payload.readableBytes)
            }
            return value
        }
        switch eventType {
        case 0: self = .streamBegin(messageStreamID: try readUInt32())
        case 1: self = .streamEOF(messageStreamID: try readUInt32())
        case 2: self = .streamDry(messageStreamID: try readUInt32())
        case 3: self = .setBufferLength(messageStreamID: try readUInt32(), milliseconds: try readUInt32())
        case 4: self = .streamIsRecorded(messageStreamID: try readUInt32())
        case 6: self = .pingRequest(timestamp: try readUInt32())
        case 7: self = .pingResponse(timestamp: try readUInt32())
        default:
            self = .other(eventType: eventType, data: payload)
            return
        }
        guard payload.readableBytes == 0 else {
            throw RTMPPartialDecodingError("\(payload.readableBytes) bytes after user control event \(eventType)")
        }
    }

    /// Writes the event type and data.
    func write(into buffer: inout ByteBuffer) {
        switch self {
        case .streamBegin(let id):
            buffer.writeMultipleIntegers(UInt16(0), id)
        case .streamEOF(let id):
            buffer.writeMultipleIntegers(UInt16(1), id)
        case .streamDry(let id):
            buffer.writeMultipleIntegers(UInt16(2), id)
        case .setBufferLength(let id, let milliseconds):
            buffer.writeMultipleIntegers(UInt16(3), id, milliseconds)
        case .streamIsRecorded(let id):
            buffer.writeMultipleIntegers(UInt16(4), id)
        case .pingRequest(let timestamp):
            buffer.writeMultipleIntegers(UInt16(6), timestamp)
        case .pingResponse(let timestamp):
            buffer.writeMultipleIntegers(UInt16(7), timestamp)
        case .other(let eventType, let data):
            buffer.writeInteger(eventType)
            buffer.writeImmutableBuffer(data)
        }
    }
}
