import NIOCore
import Testing

@testable import RTMPCore

/// SplitMix64: a seeded generator so random tests repeat exactly.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension ByteBuffer {
    init(bytes: [UInt8]) {
        self.init()
        writeBytes(bytes)
    }

    /// The readable bytes as an array.
    var bytes: [UInt8] {
        getBytes(at: readerIndex, length: readableBytes) ?? []
    }
}

/// Feeds `input` to a fresh decoder in slices of `sliceLength` bytes, collecting messages.
func decodeAll(
    _ input: ByteBuffer,
    sliceLength: Int,
    limits: RTMPLimits = .default
) throws -> [RTMPMessage] {
    var decoder = RTMPChunkDecoder(limits: limits)
    var pending = ByteBuffer()
    var input = input
    var messages: [RTMPMessage] = []
    while input.readableBytes > 0 {
        var slice = input.readSlice(length: min(sliceLength, input.readableBytes))!
        pending.writeBuffer(&slice)
        while var message = try decoder.decode(buffer: &pending) {
            // Own the payload, so no slice keeps `pending` shared and every append copies it.
            message.payload = ByteBuffer(bytes: message.payload.bytes)
            messages.append(message)
        }
        if pending.readerIndex > 65_536 {
            pending.discardReadBytes()
        }
    }
    #expect(pending.readableBytes == 0, "bytes left after decoding")
    return messages
}

/// Builds chunks by hand, byte for byte as §5.3 lays them out.
struct ChunkBuilder {
    var buffer = ByteBuffer()

    mutating func basicHeader(format: UInt8, csid: UInt32, form: Int? = nil) {
        let width = form ?? (csid < 64 ? 1 : csid < 320 ? 2 : 3)
        switch width {
        case 1:
            buffer.writeInteger(format << 6 | UInt8(csid))
        case 2:
            buffer.writeInteger(format << 6)
            buffer.writeInteger(UInt8(csid - 64))
        default:
            buffer.writeInteger(format << 6 | 1)
            buffer.writeInteger(UInt8((csid - 64) & 0xFF))
            buffer.writeInteger(UInt8((csid - 64) >> 8))
        }
    }

    mutating func uint24(_ value: UInt32) {
        buffer.writeBytes([UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)])
    }

    /// A type-0 chunk header; a timestamp of 0xFFFFFF or more is sent extended.
    mutating func type0(csid: UInt32, timestamp: UInt32, length: Int, type: UInt8, streamID: UInt32, form: Int? = nil) {
        basicHeader(format: 0, csid: csid, form: form)
        uint24(min(timestamp, 0xFF_FFFF))
        uint24(UInt32(length))
        buffer.writeInteger(type)
        buffer.writeInteger(streamID, endianness: .little)
        if timestamp >= 0xFF_FFFF { buffer.writeInteger(timestamp) }
    }

    mutating func type1(csid: UInt32, delta: UInt32, length: Int, type: UInt8) {
        basicHeader(format: 1, csid: csid)
        uint24(min(delta, 0xFF_FFFF))
        uint24(UInt32(length))
        buffer.writeInteger(type)
        if delta >= 0xFF_FFFF { buffer.writeInteger(delta) }
    }

    mutating func type2(csid: UInt32, delta: UInt32) {
        basicHeader(format: 2, csid: csid)
        uint24(min(delta, 0xFF_FFFF))
        if delta >= 0xFF_FFFF { buffer.writeInteger(delta) }
    }

    mutating func type3(csid: UInt32, extendedTimestamp: UInt32? = nil) {
        basicHeader(format: 3, csid: csid)
        if let extendedTimestamp { buffer.writeInteger(extendedTimestamp) }
    }

    mutating func payload(_ bytes: [UInt8]) {
        buffer.writeBytes(bytes)
    }
}

func payload(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
}
