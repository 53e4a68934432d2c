import Crypto

/// Push authentication carried in an upstream address's query (spec §8):
/// `txTime` is the expiry as upper-case hexadecimal Unix seconds and
/// `txSecret = hex(MD5(key + streamId + txTime))`.
public enum LVBPushAuth {
    /// Why a push was refused.
    public enum Failure: Error, Hashable, Sendable {
        case missing
        case malformed
        case expired
        case wrongSecret
    }

    /// The `txSecret` for a stream and an expiry.
    public static func secret(key: String, streamId: String, txTime: String) -> String {
        LVBDigest.md5Hex(key + streamId + txTime)
    }

    /// The query string `txSecret=…&txTime=…` valid until `expiry` (Unix seconds).
    public static func query(key: String, streamId: String, expiry: Int64) -> String {
        let txTime = String(UInt64(max(0, expiry)), radix: 16, uppercase: true)
        return "txSecret=\(secret(key: key, streamId: streamId, txTime: txTime))&txTime=\(txTime)"
    }

    /// Checks the auth values of a push.
    /// - Parameters:
    ///   - txSecret: the `txSecret` the publisher sent, if any.
    ///   - txTime: the `txTime` the publisher sent, if any.
    ///   - now: the server's clock, Unix seconds.
    /// - Throws: the ``Failure``.
    public static func verify(
        key: String,
        streamId: String,
        txSecret: String?,
        txTime: String?,
        now: Int64
    ) throws(Failure) {
        guard let txSecret, let txTime else { throw .missing }
        guard let expiry = UInt64(txTime, radix: 16), txTime.count <= 16 else { throw .malformed }
        let expected = secret(key: key, streamId: streamId, txTime: txTime)
        guard LVBDigest.constantTimeEqual(expected, txSecret.lowercased()) else { throw .wrongSecret }
        guard expiry > UInt64(max(0, now)) else { throw .expired }
    }
}
