import AMF
import NIOCore
import Testing

@testable import RTMPCore

@Suite struct RTMPLimitsTests {
    private func decodeError(_ input: ByteBuffer, limits: RTMPLimits = .default) -> RTMPError? {
        do {
            _ = try decodeAll(input, sliceLength: 1, limits: limits)
            return nil
        } catch let error as RTMPError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test(arguments: [UInt32(0), 0x8000_0000, 0xFFFF_FFFF])
    func setChunkSizeOutOfRangeIsAnError(size: UInt32) {
        var builder = ChunkBuilder()
        builder.type0(csid: 2, timestamp: 0, length: 4, type: 1, streamID: 0)
        builder.buffer.writeInteger(size)
        #expect(decodeError(builder.buffer)?.code == .invalidChunkSize)
    }

    @Test func setChunkSizeWithAShortPayloadIsAnError() {
        var builder = ChunkBuilder()
        builder.type0(csid: 2, timestamp: 0, length: 2, type: 1, streamID: 0)
        builder.payload([0, 1])
        #expect(decodeError(builder.buffer)?.code == .malformedMessage)
    }

    @Test func aHeaderDeclaringMoreThanTheMessageLimitIsAnErrorBeforeItsPayload() {
        var builder = ChunkBuilder()
        builder.type0(csid: 6, timestamp: 0, length: 0xFF_FFFF, type: 9, streamID: 1)  // 16 MiB - 1
        #expect(decodeError(builder.buffer)?.code == .messageTooLong)

        var small = ChunkBuilder()
        small.type0(csid: 6, timestamp: 0, length: 1001, type: 9, streamID: 1)
        #expect(decodeError(small.buffer, limits: RTMPLimits(maxMessageLength: 1000))?.code == .messageTooLong)
        var later = ChunkBuilder()
        later.type0(csid: 6, timestamp: 0, length: 1, type: 9, streamID: 1)
        later.payload([0])
        later.type1(csid: 6, delta: 1, length: 1001, type: 9)
        #expect(decodeError(later.buffer, limits: RTMPLimits(maxMessageLength: 1000))?.code == .messageTooLong)
    }

    @Test func chunkStreamsThatNeverCompleteHitTheChunkStreamLimit() {
        var builder = ChunkBuilder()
        for csid in UInt32(3)...UInt32(3 + 64) {
            builder.type0(csid: csid, timestamp: 0, length: 1000, type: 9, streamID: 1)
            builder.payload(payload(128))
        }
        #expect(decodeError(builder.buffer)?.code == .tooManyChunkStreams)
    }

    @Test func partlyReceivedMessagesHitTheIncompleteBytesLimit() {
        var builder = ChunkBuilder()
        for csid in UInt32(3)...UInt32(12) {
            builder.type0(csid: csid, timestamp: 0, length: 1000, type: 9, streamID: 1)
            builder.payload(payload(128))
        }
        #expect(
            decodeError(builder.buffer, limits: RTMPLimits(maxIncompleteMessageBytes: 1024))?.code
                == .incompleteMessagesTooLarge
        )
    }

    @Test func aContinuationWithoutAPreviousHeaderIsAnError() {
        for format: UInt8 in [1, 2, 3] {
            var builder = ChunkBuilder()
            builder.basicHeader(format: format, csid: 3)
            builder.payload([UInt8](repeating: 0, count: 20))
            #expect(decodeError(builder.buffer)?.code == .missingPreviousHeader)
        }
    }

    @Test func aNewHeaderInTheMiddleOfAMessageIsAnError() {
        var builder = ChunkBuilder()
        builder.type0(csid: 6, timestamp: 0, length: 300, type: 9, streamID: 1)
        builder.payload(payload(128))
        builder.type0(csid: 6, timestamp: 0, length: 300, type: 9, streamID: 1)
        #expect(decodeError(builder.buffer)?.code == .malformedMessage)
    }

    @Test func randomBytesGiveMessagesOrACleanError() {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<300 {
            let count = Int.random(in: 1...3000, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            bytes[0] &= 0x3F  // start with a type-0 header half the time
            if Bool.random(using: &generator) { bytes[0] |= 0xC0 }
            var decoder = RTMPChunkDecoder(limits: RTMPLimits(maxMessageLength: 4096))
            var input = ByteBuffer(bytes: bytes)
            var session = RTMPServerSession()
            do {
                while let message = try decoder.decode(buffer: &input) {
                    if case .close = session.receivedMessage(message) { break }
                }
            } catch {
                #expect(error is RTMPError)
            }
        }
    }

    /// A `connect` command whose command object is `depth` strict arrays deep.
    static func deeplyNestedCommand(depth: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeAMF0Value(.string("connect"))
        buffer.writeAMF0Value(.number(1))
        for _ in 0..<depth {
            buffer.writeInteger(UInt8(0x0A))  // strict array
            buffer.writeInteger(UInt32(1))
        }
        buffer.writeAMF0Value(.null)
        return buffer
    }

    @Test func amfNestedTenThousandDeepInACommandIsACleanError() throws {
        let payload = Self.deeplyNestedCommand(depth: 10_000)
        var encoder = RTMPChunkEncoder()
        var wire = ByteBuffer()
        let message = RTMPMessage(type: .commandAMF0, payload: payload)
        encoder.encode(message, into: &wire)
        let decoded = try decodeAll(wire, sliceLength: 4096)
        #expect(decoded == [message])

        #expect(throws: RTMPError(.amfDecodingFailed, "")) { try RTMPMessageBody(decoding: message) }
        var session = RTMPServerSession()
        guard case .close(let reply, let error) = session.receivedMessage(message) else {
            Issue.record("session accepted a 10,000-deep command")
            return
        }
        #expect(reply.isEmpty)
        #expect(error?.code == .amfDecodingFailed)
    }

    @Test func amfLimitsComeFromTheSessionConfiguration() {
        let message = RTMPMessage(type: .commandAMF0, payload: Self.deeplyNestedCommand(depth: 5))
        var strict = RTMPServerSession(
            configuration: .init(limits: RTMPLimits(amf: AMFDecodingLimits(maxDepth: 4)))
        )
        guard case .close(_, let error) = strict.receivedMessage(message) else {
            Issue.record("depth 5 accepted with maxDepth 4")
            return
        }
        #expect(error?.code == .amfDecodingFailed)
    }
}
