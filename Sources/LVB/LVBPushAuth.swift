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
        LVBExpiringDigest.digest(key: key, subject: streamId, time: txTime)
    }

    /// The query string `txSecret=…&txTime=…` valid until `expiry` (Unix seconds).
    public static func query(key: String, streamId: String, expiry: Int64) -> String {
        let txTime = LVBExpiringDigest.time(expiry: expiry, uppercase: true)
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
        switch LVBExpiringDigest.check(key: key, subject: streamId, time: txTime, digest: txSecret, now: now) {
        case .valid: return
        case .malformed: throw .malformed
        case .wrongDigest: throw .wrongSecret
        case .expired: throw .expired
        }
    }
}
