import NIOCore
import NIOTestUtils
import Testing

@testable import RTMPCore

@Suite struct RTMPChunkDecoderTests {
    static let sliceLengths = [1, 2, 3, 5, 11, 12, 13, 64, 127, 128, 129, 1000, 100_000]

    /// RTMP spec 1.0 §5.3.2.1, example 1: four 32-byte audio messages, headers of type 0, 2, 3, 3.
    static func specExample1() -> (ByteBuffer, [RTMPMessage]) {
        var builder = ChunkBuilder()
        builder.type0(csid: 3, timestamp: 1000, length: 32, type: 8, streamID: 12345)
        builder.payload(payload(32, seed: 1))
        builder.type2(csid: 3, delta: 20)
        builder.payload(payload(32, seed: 2))
        builder.type3(csid: 3)
        builder.payload(payload(32, seed: 3))
        builder.type3(csid: 3)
        builder.payload(payload(32, seed: 4))
        let expected = [(1000, 1), (1020, 2), (1040, 3), (1060, 4)].map { timestamp, seed in
            RTMPMessage(
                type: .audio,
                timestamp: UInt64(timestamp),
                messageStreamID: 12345,
                chunkStreamID: 3,
                payload: ByteBuffer(bytes: payload(32, seed: UInt8(seed)))
            )
        }
        return (builder.buffer, expected)
    }

    /// §5.3.2.2, example 2: a 307-byte message in chunks of 128, 128 and 51 bytes.
    static func specExample2() -> (ByteBuffer, [RTMPMessage]) {
        let body = payload(307, seed: 9)
        var builder = ChunkBuilder()
        builder.type0(csid: 4, timestamp: 1000, length: 307, type: 9, streamID: 12346)
        builder.payload(Array(body[0..<128]))
        builder.type3(csid: 4)
        builder.payload(Array(body[128..<256]))
        builder.type3(csid: 4)
        builder.payload(Array(body[256...]))
        let message = RTMPMessage(
            type: .video,
            timestamp: 1000,
            messageStreamID: 12346,
            chunkStreamID: 4,
            payload: ByteBuffer(bytes: body)
        )
        return (builder.buffer, [message])
    }

    @Test(arguments: sliceLengths)
    func specExamplesAtEverySliceLength(sliceLength: Int) throws {
        for (input, expected) in [Self.specExample1(), Self.specExample2()] {
            #expect(try decodeAll(input, sliceLength: sliceLength) == expected)
        }
    }

    @Test func byteToMessageDecoderVerifier() throws {
        // Each input opens its own chunk stream with a type-0 header, so the verifier may
        // feed them in any order.
        var pairs: [(ByteBuffer, [RTMPMessage])] = [Self.specExample1(), Self.specExample2()]
        for (csid, form) in [(64 as UInt32, 2), (319, 2), (320, 3), (65_599, 3), (100, 3), (10, 1)] {
            var builder = ChunkBuilder()
            builder.type0(csid: csid, timestamp: 0x0100_0000 + csid, length: 200, type: 18, streamID: 1, form: form)
            builder.payload(Array(payload(200, seed: 5)[..<128]))
            builder.type3(csid: csid, extendedTimestamp: 0x0100_0000 + csid)
            builder.payload(Array(payload(200, seed: 5)[128...]))
            pairs.append(
                (
                    builder.buffer,
                    [
                        RTMPMessage(
                            type: .dataAMF0,
                            timestamp: UInt64(0x0100_0000 + csid),
                            messageStreamID: 1,
                            chunkStreamID: csid,
                            payload: ByteBuffer(bytes: payload(200, seed: 5))
                        )
                    ]
                )
            )
        }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { RTMPChunkDecoder() }
    }

    @Test(arguments: [1, 7, 128])
    func interleavedChunkStreams(sliceLength: Int) throws {
        let audio = payload(200, seed: 1)
        let video = payload(300, seed: 2)
        var builder = ChunkBuilder()
        builder.type0(csid: 4, timestamp: 10, length: 200, type: 8, streamID: 1)
        builder.payload(Array(audio[..<128]))
        builder.type0(csid: 6, timestamp: 11, length: 300, type: 9, streamID: 1)
        builder.payload(Array(video[..<128]))
        builder.type3(csid: 6)
        builder.payload(Array(video[128..<256]))
        builder.type3(csid: 4)
        builder.payload(Array(audio[128...]))
        builder.type3(csid: 6)
        builder.payload(Array(video[256...]))
        let messages = try decodeAll(builder.buffer, sliceLength: sliceLength)
        #expect(messages.map(\.type) == [.audio, .video])
        #expect(messages.map(\.payload.bytes) == [audio, video])
        #expect(messages.map(\.timestamp) == [10, 11])
    }

    @Test func typeOneAndTypeThreeHeadersCarryDeltas() throws {
        var builder = ChunkBuilder()
        builder.type0(csid: 5, timestamp: 100, length: 3, type: 18, streamID: 1)
        builder.payload([1, 2, 3])
        builder.type1(csid: 5, delta: 40, length: 2, type: 9)
        builder.payload([4, 5])
        builder.type3(csid: 5)  // a new message with the same delta
        builder.payload([6, 7])
        builder.type1(csid: 5, delta: 0x0100_0000, length: 1, type: 9)  // extended delta
        builder.payload([8])
        builder.type3(csid: 5, extendedTimestamp: 0x0100_0000)
        builder.payload([9])
        let messages = try decodeAll(builder.buffer, sliceLength: 1)
        #expect(messages.map(\.timestamp) == [100, 140, 180, 180 + 0x0100_0000, 180 + 0x0200_0000])
        #expect(messages.map(\.type) == [.dataAMF0, .video, .video, .video, .video])
        #expect(messages.allSatisfy { $0.messageStreamID == 1 })
    }

    @Test func typeThreeAfterTypeZeroReusesTheAbsoluteTimestampAsDelta() throws {
        var builder = ChunkBuilder()
        builder.type0(csid: 5, timestamp: 30, length: 1, type: 8, streamID: 1)
        builder.payload([1])
        builder.type3(csid: 5)
        builder.payload([2])
        #expect(try decodeAll(builder.buffer, sliceLength: 1).map(\.timestamp) == [30, 60])
    }

    @Test func extendedTimestampsOnTypeZeroAndContinuations() throws {
        let body = payload(300)
        var builder = ChunkBuilder()
        builder.type0(csid: 3, timestamp: 0xFF_FFFF, length: 300, type: 9, streamID: 1)
        builder.payload(Array(body[..<128]))
        builder.type3(csid: 3, extendedTimestamp: 0xFF_FFFF)
        builder.payload(Array(body[128..<256]))
        builder.type3(csid: 3, extendedTimestamp: 0xFF_FFFF)
        builder.payload(Array(body[256...]))
        let messages = try decodeAll(builder.buffer, sliceLength: 1)
        #expect(messages.count == 1)
        #expect(messages.first?.timestamp == 0xFF_FFFF)
        #expect(messages.first?.payload.bytes == body)
    }

    @Test func thirtyTwoBitWrapAroundContinuesOnTheSixtyFourBitTimeline() throws {
        var builder = ChunkBuilder()
        builder.type0(csid: 4, timestamp: 0xFFFF_FF00, length: 1, type: 8, streamID: 1)
        builder.payload([0])
        builder.type2(csid: 4, delta: 0x80)  // 0xFFFF_FF80
        builder.payload([1])
        builder.type2(csid: 4, delta: 0x100)  // crosses 2^32 by delta
        builder.payload([2])
        builder.type0(csid: 4, timestamp: 0x0000_0200, length: 1, type: 8, streamID: 1)  // absolute after the wrap
        builder.payload([3])
        builder.type0(csid: 4, timestamp: 0x0000_01F0, length: 1, type: 8, streamID: 1)  // a small step back
        builder.payload([4])
        let messages = try decodeAll(builder.buffer, sliceLength: 3)
        #expect(messages.map(\.timestamp) == [0xFFFF_FF00, 0xFFFF_FF80, 0x1_0000_0080, 0x1_0000_0200, 0x1_0000_01F0])
    }

    @Test func unwrapRule() {
        #expect(RTMPChunkDecoder.unwrap(0x10, after: 0xFFFF_FFF0) == 0x1_0000_0010)
        #expect(RTMPChunkDecoder.unwrap(0xFFFF_FFF0, after: 0x1_0000_0010) == 0xFFFF_FFF0)
        #expect(RTMPChunkDecoder.unwrap(5, after: 10) == 5)
        // Backward below zero reads forward.
        #expect(RTMPChunkDecoder.unwrap(0xFFFF_FFF0, after: 5) == 0xFFFF_FFF0)
    }

    @Test(arguments: [1, 4, 1000])
    func setChunkSizeTakesEffectForTheFollowingChunks(sliceLength: Int) throws {
        let body = payload(5000, seed: 3)
        var builder = ChunkBuilder()
        builder.type0(csid: 2, timestamp: 0, length: 4, type: 1, streamID: 0)
        builder.payload([0, 0, 0x10, 0])  // 4096
        builder.type0(csid: 6, timestamp: 0, length: 5000, type: 9, streamID: 1)
        builder.payload(Array(body[..<4096]))
        builder.type3(csid: 6)
        builder.payload(Array(body[4096...]))
        var decoder = RTMPChunkDecoder()
        var input = builder.buffer
        var messages: [RTMPMessage] = []
        var pending = ByteBuffer()
        while input.readableBytes > 0 {
            var slice = input.readSlice(length: min(sliceLength, input.readableBytes))!
            pending.writeBuffer(&slice)
            while let message = try decoder.decode(buffer: &pending) { messages.append(message) }
        }
        #expect(messages.map(\.type) == [.setChunkSize, .video])
        #expect(messages.last?.payload.bytes == body)
        #expect(decoder.chunkSize == 4096)
    }

    @Test func setChunkSizeAcceptsTheWholeSpecRange() throws {
        for size: UInt32 in [1, 0x7FFF_FFFF] {
            var builder = ChunkBuilder()
            builder.type0(csid: 2, timestamp: 0, length: 4, type: 1, streamID: 0)
            builder.buffer.writeInteger(size)
            var decoder = RTMPChunkDecoder()
            var input = builder.buffer
            _ = try decoder.decode(buffer: &input)
            #expect(decoder.chunkSize == Int(size))
        }
    }

    @Test func abortDiscardsThePartialMessage() throws {
        var builder = ChunkBuilder()
        builder.type0(csid: 6, timestamp: 0, length: 300, type: 9, streamID: 1)
        builder.payload(payload(128))
        builder.type0(csid: 2, timestamp: 0, length: 4, type: 2, streamID: 0)
        builder.buffer.writeInteger(UInt32(6))
        builder.type0(csid: 6, timestamp: 40, length: 2, type: 9, streamID: 1)
        builder.payload([7, 8])
        let messages = try decodeAll(builder.buffer, sliceLength: 1)
        #expect(messages.map(\.type) == [.abort, .video])
        #expect(messages.last?.payload.bytes == [7, 8])
        #expect(messages.last?.timestamp == 40)
    }

    @Test func zeroLengthMessages() throws {
        var builder = ChunkBuilder()
        builder.type0(csid: 3, timestamp: 5, length: 0, type: 20, streamID: 0)
        builder.type2(csid: 3, delta: 5)
        #expect(try decodeAll(builder.buffer, sliceLength: 1).map(\.timestamp) == [5, 10])
    }

    @Test(arguments: [1, 9, 1000])
    func aggregateMessagesAreSplitAndRebased(sliceLength: Int) throws {
        var body = ByteBuffer()
        func tag(_ type: UInt8, _ timestamp: UInt32, _ data: [UInt8]) {
            body.writeInteger(type)
            body.writeBytes([0, 0, UInt8(data.count)])
            body.writeBytes([UInt8(timestamp >> 16 & 0xFF), UInt8(timestamp >> 8 & 0xFF), UInt8(timestamp & 0xFF)])
            body.writeInteger(UInt8(timestamp >> 24))
            body.writeBytes([0, 0, 0])
            body.writeBytes(data)
            body.writeInteger(UInt32(11 + data.count))
        }
        tag(9, 0x0100_0000, [1, 2, 3])
        tag(8, 0x0100_0014, [4])
        tag(18, 0x0100_0028, [5, 6])
        var builder = ChunkBuilder()
        builder.type0(csid: 6, timestamp: 5000, length: body.readableBytes, type: 22, streamID: 1)
        builder.payload(body.bytes)
        let messages = try decodeAll(builder.buffer, sliceLength: sliceLength)
        #expect(messages.map(\.type) == [.video, .audio, .dataAMF0])
        #expect(messages.map(\.timestamp) == [5000, 5020, 5040])
        #expect(messages.map(\.payload.bytes) == [[1, 2, 3], [4], [5, 6]])
        #expect(messages.allSatisfy { $0.messageStreamID == 1 && $0.chunkStreamID == 6 })
    }

    @Test func malformedAggregatesAreErrors() throws {
        for body: [UInt8] in [
            [9, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1],  // claims 9 bytes, has 1
            [20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11],  // a command inside
            [9, 0, 0],  // truncated header
        ] {
            var builder = ChunkBuilder()
            builder.type0(csid: 6, timestamp: 0, length: body.count, type: 22, streamID: 1)
            builder.payload(body)
            #expect(throws: RTMPError(.malformedMessage, "")) { try decodeAll(builder.buffer, sliceLength: 100) }
        }
    }

    /// The decoder takes every byte it is given (an incomplete header is kept aside), so the
    /// pipeline never moves unread bytes or copies a read into an older buffer; and each
    /// payload is a buffer of its own, sized once from the message header, so no message keeps a
    /// receive buffer alive.
    @Test(arguments: sliceLengths)
    func everyByteIsTakenAndEveryPayloadOwnsExactlyItsBytes(sliceLength: Int) throws {
        var builder = ChunkBuilder()
        let bodies = [payload(307, seed: 1), payload(20, seed: 2), payload(128, seed: 3), payload(0, seed: 4)]
        builder.type0(csid: 4, timestamp: 0x0100_0000, length: 307, type: 9, streamID: 1)
        builder.payload(Array(bodies[0][0..<128]))
        builder.type0(csid: 70, timestamp: 5, length: 20, type: 8, streamID: 1)
        builder.payload(bodies[1])
        builder.type3(csid: 4, extendedTimestamp: 0x0100_0000)
        builder.payload(Array(bodies[0][128..<256]))
        builder.type3(csid: 4, extendedTimestamp: 0x0100_0000)
        builder.payload(Array(bodies[0][256...]))
        builder.type1(csid: 70, delta: 10, length: 128, type: 8)
        builder.payload(bodies[2])
        builder.type1(csid: 70, delta: 10, length: 0, type: 8)
        var decoder = RTMPChunkDecoder()
        var input = builder.buffer
        var messages: [RTMPMessage] = []
        while input.readableBytes > 0 {
            var slice = input.readSlice(length: min(sliceLength, input.readableBytes))!
            while let message = try decoder.decode(buffer: &slice) { messages.append(message) }
            #expect(slice.readableBytes == 0)
        }
        #expect(messages.map { $0.payload.bytes } == [bodies[1], bodies[0], bodies[2], bodies[3]])
        #expect(messages.map(\.timestamp) == [5, 0x0100_0000, 15, 25])
        let inputStorage = builder.buffer.withVeryUnsafeBytes { UInt(bitPattern: $0.baseAddress) ..< UInt(bitPattern: $0.baseAddress) + UInt($0.count) }
        for message in messages {
            // Allocated once at the declared length (NIO rounds up to a power of two) ...
            #expect(message.payload.capacity < 2 * max(message.payload.readableBytes, 1))
            // ... and not a view into the bytes received.
            let start = message.payload.withVeryUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
            #expect(!inputStorage.contains(start))
        }
    }
}
