import NIOCore
import Testing

@testable import RTMPCore

@Suite struct RTMPChunkRoundTripTests {
    /// Chunk stream IDs covering the 1-, 2- and 3-byte basic header forms and their edges.
    static let chunkStreamIDs: [UInt32] = [2, 3, 63, 64, 65, 319, 320, 321, 1000, 65_599]

    /// Random messages on every chunk stream; timestamps advance by deltas from 0 to above
    /// the extended-timestamp threshold and cross 2^32.
    static func randomMessages(seed: UInt64, count: Int, maxLength: Int) -> [RTMPMessage] {
        var generator = SeededGenerator(seed: seed)
        let types: [RTMPMessageType] = [.audio, .video, .dataAMF0, .commandAMF0, RTMPMessageType(rawValue: 99)]
        var timestamps: [UInt32: UInt64] = [:]
        var messages: [RTMPMessage] = []
        for index in 0..<count {
            // Open every chunk stream first.
            let csid =
                index < chunkStreamIDs.count
                ? chunkStreamIDs[index] : chunkStreamIDs.randomElement(using: &generator)!
            let delta: UInt64
            switch Int.random(in: 0..<10, using: &generator) {
            case 0: delta = 0
            case 1: delta = UInt64.random(in: 0xFF_FFF0...0x100_0010, using: &generator)
            case 2: delta = UInt64.random(in: 0x1000_0000...0x4000_0000, using: &generator)
            default: delta = UInt64.random(in: 1...100, using: &generator)
            }
            // The first message of a chunk stream has a type-0 header, which carries 32 bits:
            // start below 2^32, close enough that later deltas cross it.
            let timestamp =
                timestamps[csid].map { $0 + delta } ?? UInt64.random(in: 0xC000_0000...0xF000_0000, using: &generator)
            timestamps[csid] = timestamp
            let length =
                Bool.random(using: &generator)
                ? Int.random(in: 0...min(300, maxLength), using: &generator)
                : Int.random(in: 0...maxLength, using: &generator)
            messages.append(
                RTMPMessage(
                    type: types.randomElement(using: &generator)!,
                    timestamp: timestamp,
                    messageStreamID: UInt32.random(in: 0...2, using: &generator),
                    chunkStreamID: csid,
                    payload: ByteBuffer(bytes: (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
                )
            )
        }
        return messages
    }

    @Test(arguments: [1, 2, 100, 127, 128, 129, 4096, 65_536, 0x7FFF_FFFF])
    func encoderOutputDecodesToTheSameMessages(chunkSize: Int) throws {
        var encoder = RTMPChunkEncoder()
        var wire = ByteBuffer()
        var expected: [RTMPMessage] = []
        if chunkSize != 128 {
            let setChunkSize = RTMPMessageBody.setChunkSize(UInt32(chunkSize)).message()
            encoder.encode(setChunkSize, into: &wire)
            expected.append(setChunkSize)
            #expect(encoder.chunkSize == chunkSize)
        }
        // Small chunk sizes get small messages: a debug build decodes a few MB/s chunk by chunk.
        let messages = Self.randomMessages(
            seed: UInt64(chunkSize),
            count: 100,
            maxLength: min(20_000, chunkSize * 64)
        )
        for message in messages {
            encoder.encode(message, into: &wire)
        }
        expected += messages
        #expect(messages.contains { $0.timestamp > UInt32.max }, "no timestamp crosses 2^32")
        let limits = RTMPLimits(maxChunkStreams: Self.chunkStreamIDs.count)
        // Byte at a time only for small wires: it costs a decode call per byte.
        for sliceLength in [wire.readableBytes, 4096, 7, wire.readableBytes <= 100_000 ? 1 : 1000] {
            let decoded = try decodeAll(wire, sliceLength: sliceLength, limits: limits)
            #expect(decoded.count == expected.count)
            for (got, want) in zip(decoded, expected) where got != want {
                Issue.record("decoded \(got) instead of \(want)")
                return
            }
        }
    }

    @Test func encoderCompressesHeaders() {
        var encoder = RTMPChunkEncoder()
        var wire = ByteBuffer()
        let audio = { (timestamp: UInt64) in
            RTMPMessage(type: .audio, timestamp: timestamp, messageStreamID: 1, payload: ByteBuffer(bytes: [1, 2]))
        }
        encoder.encode(audio(0), into: &wire)  // type 0: 1 + 11 + 2
        #expect(wire.readableBytes == 14)
        encoder.encode(audio(23), into: &wire)  // type 2: 1 + 3 + 2
        #expect(wire.readableBytes == 14 + 6)
        encoder.encode(audio(46), into: &wire)  // type 3: 1 + 2
        #expect(wire.readableBytes == 14 + 6 + 3)
        encoder.encode(
            RTMPMessage(type: .audio, timestamp: 50, messageStreamID: 1, payload: ByteBuffer(bytes: [1])),
            into: &wire
        )  // type 1: 1 + 7 + 1
        #expect(wire.readableBytes == 14 + 6 + 3 + 9)
        encoder.encode(audio(10), into: &wire)  // backwards: type 0 again
        #expect(wire.readableBytes == 14 + 6 + 3 + 9 + 14)
        #expect(wire.bytes.first == 0x04)
    }

    @Test func extendedTimestampIsRepeatedOnContinuationChunks() {
        var encoder = RTMPChunkEncoder()
        var wire = ByteBuffer()
        encoder.encode(
            RTMPMessage(
                type: .video,
                timestamp: 0x0123_4567,
                messageStreamID: 1,
                payload: ByteBuffer(bytes: payload(200))
            ),
            into: &wire
        )
        var expected = ChunkBuilder()
        expected.type0(csid: 6, timestamp: 0x0123_4567, length: 200, type: 9, streamID: 1)
        expected.payload(Array(payload(200)[..<128]))
        expected.type3(csid: 6, extendedTimestamp: 0x0123_4567)
        expected.payload(Array(payload(200)[128...]))
        #expect(wire.bytes == expected.buffer.bytes)
    }
}
