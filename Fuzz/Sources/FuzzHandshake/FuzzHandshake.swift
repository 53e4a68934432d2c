import FuzzSupport
import NIOCore
import RTMPCore

// Feeds arbitrary bytes, split where the control byte says (see `FuzzInput`), into the server
// handshake as C0 C1 C2, and the same bytes into a client handshake as S0 S1 S2. Neither may
// crash, and each must follow its documented contract: nothing consumed on `needMoreData`,
// exactly the packets consumed on the other actions, and an answer once enough bytes are in.
// Control bits 2 and 3 pick the client's scheme.

/// The seed of the generators both handshakes use, so the seeds below can answer the client.
let generatorSeed: UInt64 = 0x5EED
let packetLength = 1536

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHandshake(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    let pieces = input.pieces
    fuzzServer(pieces, total: input.body.count, firstByte: input.body.first)
    fuzzClient(pieces, total: input.body.count, firstByte: input.body.first, scheme: scheme(input.control))
    return 0
}

func scheme(_ control: UInt8) -> RTMPHandshakeScheme {
    switch control >> 2 & 0b11 {
    case 0: .plain
    case 1: .keyBlockFirst
    default: .digestBlockFirst
    }
}

func fuzzServer(_ pieces: [UnsafeBufferPointer<UInt8>], total: Int, firstByte: UInt8?) {
    var generator = SeededGenerator(seed: generatorSeed)
    var handshake = RTMPServerHandshake(using: &generator)
    var buffer = ByteBuffer()
    var c1: [UInt8]?
    for piece in pieces {
        buffer.writeBytes(piece)
        while true {
            let before = buffer
            switch handshake.receive(&buffer) {
            case .needMoreData:
                precondition(buffer == before, "needMoreData consumed bytes")
                let needed = c1 == nil ? 1 + packetLength : packetLength
                precondition(buffer.readableBytes < needed, "needMoreData with \(buffer.readableBytes) bytes")
            case .send(let response):
                precondition(c1 == nil, "S0 S1 S2 sent twice")
                precondition(before.readableBytes - buffer.readableBytes == 1 + packetLength, "C0 C1 not consumed")
                precondition(
                    response.readableBytes == 1 + 2 * packetLength,
                    "S0 S1 S2 is \(response.readableBytes) bytes"
                )
                precondition(response.getInteger(at: response.readerIndex, as: UInt8.self) == 3, "S0 is not 3")
                c1 = before.getBytes(at: before.readerIndex + 1, length: packetLength)
                if handshake.scheme == .plain {
                    let s2 = response.getBytes(at: response.readerIndex + 1 + packetLength, length: packetLength)
                    precondition(s2 == c1, "plain S2 does not echo C1")
                }
                continue
            case .complete:
                precondition(c1 != nil, "complete before C0 C1")
                precondition(before.readableBytes - buffer.readableBytes == packetLength, "C2 not consumed")
                return
            case .fail:
                precondition(c1 == nil && firstByte != 3, "failed a handshake that asked for version 3")
                precondition(buffer == before, "fail consumed bytes")
                return
            }
            break
        }
    }
    if let firstByte {
        precondition(firstByte == 3 && total < 1 + 2 * packetLength, "handshake of \(total) bytes did not end")
    }
}

func fuzzClient(_ pieces: [UnsafeBufferPointer<UInt8>], total: Int, firstByte: UInt8?, scheme: RTMPHandshakeScheme) {
    var generator = SeededGenerator(seed: generatorSeed)
    var handshake = RTMPClientHandshake(scheme: scheme, using: &generator)
    let c0c1 = handshake.start()
    precondition(c0c1.readableBytes == 1 + packetLength, "C0 C1 is \(c0c1.readableBytes) bytes")
    var buffer = ByteBuffer()
    for piece in pieces {
        buffer.writeBytes(piece)
        let before = buffer
        switch handshake.receive(&buffer) {
        case .needMoreData:
            precondition(buffer == before, "needMoreData consumed bytes")
            precondition(buffer.readableBytes < 1 + 2 * packetLength, "needMoreData with \(buffer.readableBytes) bytes")
        case .complete(let c2):
            precondition(firstByte == 3, "completed with S0 \(firstByte.map(String.init) ?? "none")")
            precondition(before.readableBytes - buffer.readableBytes == 1 + 2 * packetLength, "S0 S1 S2 not consumed")
            precondition(c2.readableBytes == packetLength, "C2 is \(c2.readableBytes) bytes")
            return
        case .fail:
            precondition(before.readableBytes >= 1 + 2 * packetLength, "failed before S0 S1 S2 were in")
            return
        }
    }
    precondition(total < 1 + 2 * packetLength, "client handshake of \(total) bytes did not end")
}

/// For each scheme: a real client's C0 C1 C2 followed by chunk bytes, and a real server's
/// S0 S1 S2 answering the fuzz target's own client (same generator seed), which takes the
/// client through digest verification to `complete`. Control bytes pick whole-buffer,
/// byte-by-byte and 2,048-byte-piece delivery.
func seeds() -> [[UInt8]] {
    var seeds: [[UInt8]] = []
    for (schemeBits, scheme) in [(0, RTMPHandshakeScheme.plain), (1, .keyBlockFirst), (2, .digestBlockFirst)] {
        for split: UInt8 in [0, 1, 3] {
            let control = UInt8(schemeBits << 2) | split
            var clientGenerator = SeededGenerator(seed: generatorSeed)
            var client = RTMPClientHandshake(scheme: scheme, using: &clientGenerator)
            var c0c1 = client.start()
            let clientHello = Array(c0c1.readableBytesView)

            var serverGenerator = SeededGenerator(seed: generatorSeed ^ 1)
            var server = RTMPServerHandshake(using: &serverGenerator)
            guard case .send(let response) = server.receive(&c0c1) else {
                preconditionFailure("server did not answer a client's C0 C1")
            }
            let serverHello = Array(response.readableBytesView)

            // The server target reads these as C0 C1 C2; the client target as S0 S1 S2.
            seeds.append([control] + serverHello + [0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x01])
            seeds.append([control] + clientHello + Array(repeating: 0x5A, count: packetLength))
        }
    }
    seeds.append([0, 6] + Array(repeating: 0, count: packetLength))
    return seeds
}
