import Crypto

/// The layout of C1/S1 in the digest ("complex", Flash Player 9) handshake.
///
/// Adobe never published this handshake; the layout below is the one every interoperable
/// implementation agrees on (as described for librtmp, FFmpeg and SRS). After the 4-byte
/// time and 4-byte version, C1/S1 hold a 764-byte digest block and a 764-byte key block, in
/// either order. The digest block starts with four offset bytes; their sum modulo 728 gives
/// the position of the 32-byte digest inside the block.
public enum RTMPHandshakeScheme: Hashable, Sendable {
    /// RTMP spec 1.0 §5.2.3: no digest, S2 echoes C1 and C2 echoes S1.
    case plain
    /// Digest block first: the offset is the sum of bytes 8...11, the digest sits at
    /// `sum % 728 + 12` (SRS "schema 1"; what librtmp and FFmpeg clients send).
    case digestBlockFirst
    /// Key block first: the offset is the sum of bytes 772...775, the digest sits at
    /// `sum % 728 + 776` (SRS "schema 0").
    case keyBlockFirst
}

/// HMAC-SHA256 digests of the digest handshake.
///
/// - C1's digest is HMAC-SHA256 over C1 without its 32 digest bytes, keyed with the first
///   30 bytes of the Genuine FP key ("Genuine Adobe Flash Player 001").
/// - S1's digest likewise, keyed with the first 36 bytes of the Genuine FMS key
///   ("Genuine Adobe Flash Media Server 001").
/// - S2 is 1504 random bytes followed by HMAC-SHA256 over them, keyed with
///   HMAC-SHA256(full 68-byte FMS key, C1's digest). C2 mirrors it with the full 62-byte FP
///   key and S1's digest.
enum RTMPHandshakeDigest {
    static let packetLength = 1536
    static let digestLength = 32
    /// Bytes of random data before the digest at the end of a C2/S2 answering a digest.
    static let responseRandomLength = packetLength - digestLength

    private static let keySuffix: [UInt8] = [
        0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
        0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE,
    ]
    /// "Genuine Adobe Flash Player 001" followed by the 32-byte suffix: 62 bytes.
    static let genuineFPKey: [UInt8] = Array("Genuine Adobe Flash Player 001".utf8) + keySuffix
    /// "Genuine Adobe Flash Media Server 001" followed by the 32-byte suffix: 68 bytes.
    static let genuineFMSKey: [UInt8] = Array("Genuine Adobe Flash Media Server 001".utf8) + keySuffix
    /// The key that signs C1: the first 30 bytes of the FP key.
    static let clientKey = Array(genuineFPKey.prefix(30))
    /// The key that signs S1: the first 36 bytes of the FMS key.
    static let serverKey = Array(genuineFMSKey.prefix(36))

    /// The position of the digest in a 1536-byte C1/S1 for a digest scheme.
    static func digestPosition(in packet: [UInt8], scheme: RTMPHandshakeScheme) -> Int {
        let base: Int
        switch scheme {
        case .plain:
            preconditionFailure("a plain handshake has no digest")
        case .digestBlockFirst:
            base = 8
        case .keyBlockFirst:
            base = 772
        }
        let sum = packet[base..<(base + 4)].reduce(0) { $0 + Int($1) }
        return sum % 728 + base + 4
    }

    /// HMAC-SHA256 over `packet` without the 32 bytes at `position`.
    static func digest(of packet: [UInt8], skipping position: Int, key: [UInt8]) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: key))
        hmac.update(data: packet[0..<position])
        hmac.update(data: packet[(position + digestLength)...])
        return Array(hmac.finalize())
    }

    /// The scheme and digest of a C1/S1 whose digest verifies with `key`, trying the
    /// digest-block-first layout before the key-block-first one; `nil` if neither verifies.
    static func validDigest(in packet: [UInt8], key: [UInt8]) -> (scheme: RTMPHandshakeScheme, digest: [UInt8])? {
        for scheme in [RTMPHandshakeScheme.digestBlockFirst, .keyBlockFirst] {
            let position = digestPosition(in: packet, scheme: scheme)
            let expected = digest(of: packet, skipping: position, key: key)
            if constantTimeEqual(expected, packet[position..<(position + digestLength)]) {
                return (scheme, expected)
            }
        }
        return nil
    }

    /// Writes the digest of `packet` into it at the position `scheme` gives.
    /// - Returns: The digest written.
    @discardableResult
    static func sign(_ packet: inout [UInt8], scheme: RTMPHandshakeScheme, key: [UInt8]) -> [UInt8] {
        let position = digestPosition(in: packet, scheme: scheme)
        let value = digest(of: packet, skipping: position, key: key)
        packet.replaceSubrange(position..<(position + digestLength), with: value)
        return value
    }

    /// The 32 bytes that end a C2/S2 answering `peerDigest`: HMAC-SHA256 over the first
    /// 1504 bytes of `packet`, keyed with HMAC-SHA256(`key`, `peerDigest`).
    static func responseDigest(for packet: [UInt8], peerDigest: [UInt8], key: [UInt8]) -> [UInt8] {
        let responseKey = HMAC<SHA256>.authenticationCode(for: peerDigest, using: SymmetricKey(data: key))
        let code = HMAC<SHA256>.authenticationCode(
            for: packet[0..<responseRandomLength],
            using: SymmetricKey(data: Array(responseKey))
        )
        return Array(code)
    }

    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: ArraySlice<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(lhs, rhs) {
            difference |= left ^ right
        }
        return difference == 0
    }

    /// `count` bytes from `generator`, eight from each of its 64-bit values (one system call
    /// per value with the system generator, rather than one per byte).
    static func randomBytes<G: RandomNumberGenerator>(_ count: Int, using generator: inout G) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 7)
        while bytes.count < count {
            withUnsafeBytes(of: generator.next().littleEndian) { bytes.append(contentsOf: $0) }
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }
}
