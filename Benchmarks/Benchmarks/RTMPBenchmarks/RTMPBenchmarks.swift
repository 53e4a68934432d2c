import Benchmark
import BenchmarkSupport
import NIOCore
import RTMPCore

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .reel()

    // One operation: decoding one second of a publisher's stream (30 video and 43 audio messages,
    // about 330 KB) with a decoder that has already decoded the second before it, as it has
    // during a live stream.
    for chunkSize in [128, 4096] {
        Benchmark(
            "RTMPChunkDecoder.chunkSize\(chunkSize)",
            closure: { benchmark, stream in
                for _ in benchmark.scaledIterations {
                    var input = stream.second
                    var count = 0
                    while let message = try stream.decoder.decode(buffer: &input) {
                        blackHole(message)
                        count += 1
                    }
                    precondition(count == stream.messagesPerSecond && input.readableBytes == 0)
                }
            },
            setup: { try ChunkStream(chunkSize: chunkSize) }
        )
    }
}

/// One second of audio and video as chunks at a chunk size, and a decoder in the state that
/// second expects.
final class ChunkStream {
    /// The chunks of one second, decodable any number of times in a row: every second of
    /// ``PublisherFixtures/mediaSecond()`` has the same sizes and timestamp deltas, so the
    /// headers the encoder compressed against the second before hold for any repetition.
    let second: ByteBuffer
    let messagesPerSecond: Int
    var decoder = RTMPChunkDecoder()

    /// Encodes Set Chunk Size (unless 128) and two seconds of media on message stream 1, and
    /// decodes the first second; the second one is what each operation decodes.
    init(chunkSize: Int) throws {
        let frames = PublisherFixtures.mediaSecond()
        var encoder = RTMPChunkEncoder()
        var start = ByteBuffer()
        if chunkSize != RTMPChunkDecoder.defaultChunkSize {
            var size = ByteBuffer()
            size.writeInteger(UInt32(chunkSize))
            encoder.encode(RTMPMessage(type: .setChunkSize, payload: size), into: &start)
        }
        var seconds: [ByteBuffer] = []
        for index in 0..<2 {
            var chunks = ByteBuffer()
            for frame in frames {
                let message = RTMPMessage(
                    type: frame.kind == .video ? .video : .audio,
                    timestamp: UInt64(index * 1000) + UInt64(frame.offset),
                    messageStreamID: 1,
                    payload: frame.body
                )
                encoder.encode(message, into: &chunks)
            }
            seconds.append(chunks)
        }
        start.writeImmutableBuffer(seconds[0])
        while try decoder.decode(buffer: &start) != nil {}
        precondition(start.readableBytes == 0 && decoder.chunkSize == chunkSize)
        self.second = seconds[1]
        self.messagesPerSecond = frames.count
    }
}
