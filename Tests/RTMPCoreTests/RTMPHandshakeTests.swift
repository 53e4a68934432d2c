import Crypto
import NIOCore
import Testing

@testable import RTMPCore

/// The digest handshake written out again from its published description, independent of
/// `RTMPHandshakeDigest`, so the server is checked against the algorithm, not against itself.
enum ReferenceDigest {
    static let suffix: [UInt8] = [
        0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
        0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE,
    ]
    static let playerKey = Array("Genuine Adobe Flash Player 001".utf8) + suffix
    static let serverKey = Array("Genuine Adobe Flash Media Server 001".utf8) + suffix

    /// Offset bytes at 8...11 → digest at sum % 728 + 12; at 772...775 → sum % 728 + 776.
    static func position(_ packet: [UInt8], offsetBytesAt base: Int) -> Int {
        (Int(packet[base]) + Int(packet[base + 1]) + Int(packet[base + 2]) + Int(packet[base + 3])) % 728 + base + 4
    }

    static func hmac(_ data: [UInt8], key: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: key)))
    }

    /// HMAC-SHA256 of the 1504 bytes without the digest at `position`.
    static func digest(_ packet: [UInt8], at position: Int, key: [UInt8]) -> [UInt8] {
        hmac(Array(packet[..<position]) + Array(packet[(position + 32)...]), key: key)
    }

    /// A C1 signed as a Flash Player would sign it.
    static func signedC1(offsetBytesAt base: Int, generator: inout SeededGenerator) -> (c1: [UInt8], digest: [UInt8]) {
        var c1 = [0, 0, 0, 0, 9, 0, 124, 2] + (0..<1528).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let at = position(c1, offsetBytesAt: base)
        let value = digest(c1, at: at, key: Array(playerKey.prefix(30)))
        c1.replaceSubrange(at..<(at + 32), with: value)
        return (c1, value)
    }
}

@Suite struct RTMPHandshakeTests {
    @Test(arguments: [(8, RTMPHandshakeScheme.digestBlockFirst), (772, .keyBlockFirst)])
    func serverAnswersADigestC1WithValidS1AndS2(offsetBytesAt base: Int, scheme: RTMPHandshakeScheme) throws {
        var generator = SeededGenerator(seed: UInt64(base))
        let (c1, c1Digest) = ReferenceDigest.signedC1(offsetBytesAt: base, generator: &generator)
        var server = RTMPServerHandshake(using: &generator)
        var input = ByteBuffer(bytes: [3] + c1)

        guard case .send(let response) = server.receive(&input) else {
            Issue.record("no S0S1S2")
            return
        }
        #expect(server.scheme == scheme)
        let bytes = response.bytes
        #expect(bytes.count == 1 + 1536 * 2)
        #expect(bytes[0] == 3)
        let s1 = Array(bytes[1...1536])
        let s2 = Array(bytes[1537...])

        // S1 is signed with the first 36 bytes of the FMS key, in the client's layout.
        let at = ReferenceDigest.position(s1, offsetBytesAt: base)
        #expect(
            Array(s1[at..<(at + 32)])
                == ReferenceDigest.digest(s1, at: at, key: Array(ReferenceDigest.serverKey.prefix(36)))
        )
        // S2 ends with HMAC(HMAC(FMS key, C1 digest), first 1504 bytes of S2).
        let key = ReferenceDigest.hmac(c1Digest, key: ReferenceDigest.serverKey)
        #expect(Array(s2[1504...]) == ReferenceDigest.hmac(Array(s2[..<1504]), key: key))
        #expect(s2 != c1)

        var c2 = ByteBuffer(bytes: [UInt8](repeating: 7, count: 1536) + [0xAA, 0xBB])
        #expect(server.receive(&c2) == .complete)
        #expect(c2.bytes == [0xAA, 0xBB])
    }

    @Test func serverFallsBackToPlainHandshakeAndEchoesC1() {
        var generator = SeededGenerator(seed: 1)
        let c1 = [0, 0, 0, 0, 0, 0, 0, 0] + (0..<1528).map { UInt8(truncatingIfNeeded: $0) }
        var server = RTMPServerHandshake(using: &generator)
        var input = ByteBuffer(bytes: [3] + c1)
        guard case .send(let response) = server.receive(&input) else {
            Issue.record("no S0S1S2")
            return
        }
        #expect(server.scheme == .plain)
        #expect(Array(response.bytes[1537...]) == c1)
        #expect(Array(response.bytes[1...8]) == [0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func aC1WithAWrongDigestGetsThePlainHandshake() {
        var generator = SeededGenerator(seed: 2)
        var (c1, _) = ReferenceDigest.signedC1(offsetBytesAt: 8, generator: &generator)
        let at = ReferenceDigest.position(c1, offsetBytesAt: 8)
        c1[at] ^= 0x01
        var server = RTMPServerHandshake(using: &generator)
        var input = ByteBuffer(bytes: [3] + c1)
        guard case .send(let response) = server.receive(&input) else {
            Issue.record("no S0S1S2")
            return
        }
        #expect(server.scheme == .plain)
        #expect(Array(response.bytes[1537...]) == c1)
    }

    @Test(arguments: [RTMPHandshakeScheme.plain, .digestBlockFirst, .keyBlockFirst])
    func clientAndServerCompleteAndClientVerifiesServerDigests(scheme: RTMPHandshakeScheme) throws {
        var generator = SeededGenerator(seed: 3)
        var client = RTMPClientHandshake(scheme: scheme, using: &generator)
        var server = RTMPServerHandshake(using: &generator)

        var toServer = client.start()
        // The client's C1 digest verifies against the reference algorithm.
        if scheme != .plain {
            let c1 = Array(toServer.bytes.dropFirst())
            let at = ReferenceDigest.position(c1, offsetBytesAt: scheme == .digestBlockFirst ? 8 : 772)
            #expect(
                Array(c1[at..<(at + 32)])
                    == ReferenceDigest.digest(c1, at: at, key: Array(ReferenceDigest.playerKey.prefix(30)))
            )
        }
        guard case .send(var toClient) = server.receive(&toServer) else {
            Issue.record("no S0S1S2")
            return
        }
        #expect(server.scheme == scheme)
        toClient.writeBytes([1, 2, 3])
        guard case .complete(let c2) = client.receive(&toClient) else {
            Issue.record("client rejected the server's answer")
            return
        }
        #expect(toClient.bytes == [1, 2, 3])
        var c2AndChunks = c2
        c2AndChunks.writeBytes([0xC3])
        #expect(server.receive(&c2AndChunks) == .complete)
        #expect(c2AndChunks.bytes == [0xC3])
    }

    @Test func digestClientRejectsAPlainServer() {
        var generator = SeededGenerator(seed: 4)
        var client = RTMPClientHandshake(scheme: .digestBlockFirst, using: &generator)
        var c0c1 = client.start()
        let c1 = Array(c0c1.bytes.dropFirst())
        c0c1.moveReaderIndex(forwardBy: c0c1.readableBytes)
        // A server that ignores digests: random S1, S2 echoing C1.
        var answer = ByteBuffer(bytes: [3] + [UInt8](repeating: 0x55, count: 1536) + c1)
        guard case .fail(let error) = client.receive(&answer) else {
            Issue.record("client accepted an unsigned S1")
            return
        }
        #expect(error.code == .handshakeFailed)
    }

    @Test func digestClientRejectsABadS2() {
        var generator = SeededGenerator(seed: 5)
        var client = RTMPClientHandshake(scheme: .keyBlockFirst, using: &generator)
        var server = RTMPServerHandshake(using: &generator)
        var c0c1 = client.start()
        guard case .send(let answer) = server.receive(&c0c1) else {
            Issue.record("no S0S1S2")
            return
        }
        var tampered = answer.bytes
        tampered[tampered.count - 1] ^= 0xFF
        var input = ByteBuffer(bytes: tampered)
        guard case .fail(let error) = client.receive(&input) else {
            Issue.record("client accepted a bad S2")
            return
        }
        #expect(error.code == .handshakeFailed)
    }

    @Test func serverHandshakeByteAtATime() {
        var generator = SeededGenerator(seed: 6)
        var client = RTMPClientHandshake(scheme: .digestBlockFirst, using: &generator)
        var server = RTMPServerHandshake(using: &generator)
        var all = client.start()
        all.writeBytes([UInt8](repeating: 9, count: 1536))  // C2
        all.writeBytes([0x02, 0x00])  // the start of the chunk stream
        var buffer = ByteBuffer()
        var actions: [RTMPServerHandshake.Action] = []
        while let byte = all.readInteger(as: UInt8.self) {
            buffer.writeInteger(byte)
            loop: while true {
                let action = server.receive(&buffer)
                switch action {
                case .needMoreData: break loop
                case .send: actions.append(action)
                case .complete:
                    actions.append(action)
                    break loop
                case .fail:
                    Issue.record("failed: \(action)")
                    return
                }
            }
            if actions.last == .complete { break }
        }
        #expect(actions.count == 2)
        #expect(actions.last == .complete)
        buffer.writeBuffer(&all)
        #expect(buffer.bytes == [0x02, 0x00])
    }

    @Test(arguments: [UInt8(0), 1, 2, 6, 8, 31, 255])
    func otherVersionsAreRefused(version: UInt8) {
        var server = RTMPServerHandshake()
        var input = ByteBuffer(bytes: [version])
        guard case .fail(let error) = server.receive(&input) else {
            Issue.record("version \(version) accepted")
            return
        }
        #expect(error.code == .unsupportedVersion)
    }

    @Test func truncatedHandshakesWaitWithoutConsuming() {
        for length in [0, 1, 2, 100, 1536] {
            var server = RTMPServerHandshake()
            var input = ByteBuffer(bytes: [3] + [UInt8](repeating: 1, count: max(0, length - 1)))
            if length == 0 { input.clear() }
            #expect(server.receive(&input) == .needMoreData)
            #expect(input.readableBytes == length)
        }
        var generator = SeededGenerator(seed: 7)
        var server = RTMPServerHandshake(using: &generator)
        var c0c1 = ByteBuffer(bytes: [3] + [UInt8](repeating: 0, count: 1536))
        _ = server.receive(&c0c1)
        var shortC2 = ByteBuffer(bytes: [UInt8](repeating: 0, count: 1535))
        #expect(server.receive(&shortC2) == .needMoreData)
        #expect(shortC2.readableBytes == 1535)
    }

    @Test func randomBytesNeverCrashTheServerHandshake() {
        var generator = SeededGenerator(seed: 8)
        for _ in 0..<200 {
            var server = RTMPServerHandshake(using: &generator)
            let count = Int.random(in: 0...4000, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if Bool.random(using: &generator), !bytes.isEmpty { bytes[0] = 3 }
            var input = ByteBuffer(bytes: bytes)
            loop: while true {
                switch server.receive(&input) {
                case .send: continue
                case .needMoreData, .complete, .fail: break loop
                }
            }
        }
    }
}
