import NIOCore

/// The client side of the RTMP handshake (RTMP spec 1.0 §5.2), for load tools and tests.
///
/// With a digest scheme it signs C1 with the Genuine FP key, verifies S1's digest (Genuine FMS
/// key) and S2 (derived from C1's digest), and answers with a C2 derived from S1's digest;
/// see ``RTMPHandshakeScheme``. With ``RTMPHandshakeScheme/plain`` it sends a zero version
/// and echoes S1 as C2 without checks.
public struct RTMPClientHandshake: Sendable {
    /// What the driver does next.
    public enum Action: Hashable, Sendable {
        /// The buffer holds too few bytes for S0, S1 and S2; read more and call again.
        case needMoreData
        /// Write C2; the handshake is done and bytes left in the buffer belong to the chunk stream.
        case complete(sending: ByteBuffer)
        /// The server's answer is not valid; close the connection.
        case fail(RTMPError)
    }

    private enum State: Sendable {
        case idle(c1Random: [UInt8], c2Random: [UInt8])
        case awaitingS0S1S2(c1Digest: [UInt8]?, c2Random: [UInt8])
        case complete
        case failed
    }

    private var state: State
    /// The handshake this client performs.
    public let scheme: RTMPHandshakeScheme

    /// The C1 version field of a digest handshake: a Flash Player 9 version number, which is
    /// how servers tell a digest C1 from a plain one.
    private static let clientVersion: [UInt8] = [0x09, 0x00, 0x7C, 0x02]

    /// Creates a client handshake.
    /// - Parameters:
    ///   - scheme: The handshake to perform.
    ///   - generator: The source of C1/C2 random data.
    public init<G: RandomNumberGenerator>(scheme: RTMPHandshakeScheme, using generator: inout G) {
        self.scheme = scheme
        self.state = .idle(
            c1Random: RTMPHandshakeDigest.randomBytes(RTMPHandshakeDigest.packetLength - 8, using: &generator),
            c2Random: RTMPHandshakeDigest.randomBytes(RTMPHandshakeDigest.responseRandomLength, using: &generator)
        )
    }

    /// Returns C0 and C1, the first bytes the client sends.
    public mutating func start() -> ByteBuffer {
        guard case .idle(let c1Random, let c2Random) = state else {
            preconditionFailure("RTMPClientHandshake.start called in state \(state)")
        }
        var c1: [UInt8]
        var c1Digest: [UInt8]?
        if scheme == .plain {
            c1 = [0, 0, 0, 0, 0, 0, 0, 0] + c1Random
        } else {
            c1 = [0, 0, 0, 0] + Self.clientVersion + c1Random
            c1Digest = RTMPHandshakeDigest.sign(&c1, scheme: scheme, key: RTMPHandshakeDigest.clientKey)
        }
        state = .awaitingS0S1S2(c1Digest: c1Digest, c2Random: c2Random)
        var out = ByteBuffer()
        out.writeInteger(UInt8(3))
        out.writeBytes(c1)
        return out
    }

    /// Consumes S0, S1 and S2 from `buffer` once all of them are there.
    /// - Parameter buffer: Bytes received and not yet consumed.
    /// - Returns: What to do next.
    public mutating func receive(_ buffer: inout ByteBuffer) -> Action {
        guard case .awaitingS0S1S2(let c1Digest, let c2Random) = state else {
            preconditionFailure("RTMPClientHandshake.receive called in state \(state)")
        }
        let length = 1 + 2 * RTMPHandshakeDigest.packetLength
        guard let bytes = buffer.getBytes(at: buffer.readerIndex, length: length) else {
            return .needMoreData
        }
        guard bytes[0] == 3 else {
            state = .failed
            return .fail(RTMPError(.unsupportedVersion, "S0 answers RTMP version \(bytes[0])"))
        }
        buffer.moveReaderIndex(forwardBy: length)
        let s1 = Array(bytes[1...RTMPHandshakeDigest.packetLength])
        let s2 = Array(bytes[(1 + RTMPHandshakeDigest.packetLength)...])
        guard let c1Digest else {
            state = .complete
            var c2 = ByteBuffer()
            c2.writeBytes(s1)
            return .complete(sending: c2)
        }
        guard let (_, s1Digest) = RTMPHandshakeDigest.validDigest(in: s1, key: RTMPHandshakeDigest.serverKey) else {
            state = .failed
            return .fail(RTMPError(.handshakeFailed, "S1 carries no valid server digest"))
        }
        let expectedS2 = RTMPHandshakeDigest.responseDigest(
            for: s2,
            peerDigest: c1Digest,
            key: RTMPHandshakeDigest.genuineFMSKey
        )
        guard RTMPHandshakeDigest.constantTimeEqual(expectedS2, s2[RTMPHandshakeDigest.responseRandomLength...]) else {
            state = .failed
            return .fail(RTMPError(.handshakeFailed, "S2 does not answer C1's digest"))
        }
        var c2 = c2Random
        c2 += RTMPHandshakeDigest.responseDigest(for: c2, peerDigest: s1Digest, key: RTMPHandshakeDigest.genuineFPKey)
        state = .complete
        var out = ByteBuffer()
        out.writeBytes(c2)
        return .complete(sending: out)
    }
}
