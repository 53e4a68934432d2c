import NIOCore

/// The server side of the RTMP handshake (RTMP spec 1.0 §5.2), as a state machine over the
/// bytes the client sends. No I/O: the driver feeds received bytes and runs the actions.
///
/// Clients that put a valid digest in C1 (Flash Player 9 and later, librtmp, FFmpeg) get a
/// signed S1 and an S2 derived from their digest, see ``RTMPHandshakeScheme``; every other
/// client gets the plain handshake, where S2 echoes C1. C2 is read and not checked: encoders
/// disagree on what they put there and nothing depends on it.
///
/// ```swift
/// loop: while true {
///     switch handshake.receive(&buffer) {
///     case .needMoreData: break loop                  // read more
///     case .send(let bytes): write(bytes)              // S0 + S1 + S2; call again
///     case .complete: decodeChunks(buffer); break loop // the rest of buffer is chunk data
///     case .fail(let error): close(error); break loop
///     }
/// }
/// ```
public struct RTMPServerHandshake: Sendable {
    /// What the driver does next.
    public enum Action: Hashable, Sendable {
        /// The buffer holds too few bytes for the next step; read more and call again.
        case needMoreData
        /// Write these bytes (S0, S1 and S2), then call ``receive(_:)`` again.
        case send(ByteBuffer)
        /// The handshake is done; bytes left in the buffer belong to the chunk stream.
        case complete
        /// The client's bytes are not an RTMP handshake; close the connection.
        case fail(RTMPError)
    }

    private enum State: Sendable {
        case awaitingC0C1(s1Random: [UInt8], s2Random: [UInt8])
        case awaitingC2
        case complete
        case failed
    }

    private var state: State

    /// The handshake the client asked for, known once C1 has been read.
    public private(set) var scheme: RTMPHandshakeScheme?

    /// The S1 version field sent with a digest: the value FMS 3.5 sends, which librtmp-era
    /// clients accept.
    private static let serverVersion: [UInt8] = [0x04, 0x05, 0x00, 0x01]

    /// Creates a handshake whose S1 and S2 random bytes come from `generator`.
    /// - Parameter generator: The source of S1/S2 random data; pass a seeded generator in tests.
    public init<G: RandomNumberGenerator>(using generator: inout G) {
        let s1Random = RTMPHandshakeDigest.randomBytes(RTMPHandshakeDigest.packetLength - 8, using: &generator)
        let s2Random = RTMPHandshakeDigest.randomBytes(RTMPHandshakeDigest.responseRandomLength, using: &generator)
        self.state = .awaitingC0C1(s1Random: s1Random, s2Random: s2Random)
    }

    /// Creates a handshake with S1 and S2 random bytes from the system generator.
    public init() {
        var generator = SystemRandomNumberGenerator()
        self.init(using: &generator)
    }

    /// Consumes handshake bytes from `buffer`.
    ///
    /// Short input consumes nothing and returns ``Action/needMoreData``. After
    /// ``Action/complete`` the buffer's readable bytes (if any) are the start of the chunk
    /// stream.
    /// - Parameter buffer: Bytes received and not yet consumed.
    /// - Returns: What to do next.
    public mutating func receive(_ buffer: inout ByteBuffer) -> Action {
        switch state {
        case .awaitingC0C1(let s1Random, let s2Random):
            guard let version = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else {
                return .needMoreData
            }
            guard version == 3 else {
                state = .failed
                return .fail(RTMPError(.unsupportedVersion, "C0 asks for RTMP version \(version)"))
            }
            guard let c0c1 = buffer.readBytes(length: 1 + RTMPHandshakeDigest.packetLength) else {
                return .needMoreData
            }
            let c1 = Array(c0c1.dropFirst())
            state = .awaitingC2
            var out = ByteBuffer()
            out.reserveCapacity(1 + 2 * RTMPHandshakeDigest.packetLength)
            out.writeInteger(UInt8(3))
            if let (scheme, clientDigest) = RTMPHandshakeDigest.validDigest(in: c1, key: RTMPHandshakeDigest.clientKey)
            {
                self.scheme = scheme
                var s1 = [0, 0, 0, 0] + Self.serverVersion + s1Random
                RTMPHandshakeDigest.sign(&s1, scheme: scheme, key: RTMPHandshakeDigest.serverKey)
                var s2 = s2Random
                s2 += RTMPHandshakeDigest.responseDigest(
                    for: s2,
                    peerDigest: clientDigest,
                    key: RTMPHandshakeDigest.genuineFMSKey
                )
                out.writeBytes(s1)
                out.writeBytes(s2)
            } else {
                self.scheme = .plain
                out.writeBytes([0, 0, 0, 0, 0, 0, 0, 0])
                out.writeBytes(s1Random)
                out.writeBytes(c1)
            }
            return .send(out)
        case .awaitingC2:
            guard buffer.readableBytes >= RTMPHandshakeDigest.packetLength else {
                return .needMoreData
            }
            buffer.moveReaderIndex(forwardBy: RTMPHandshakeDigest.packetLength)
            state = .complete
            return .complete
        case .complete, .failed:
            preconditionFailure("RTMPServerHandshake.receive called in state \(state)")
        }
    }
}
