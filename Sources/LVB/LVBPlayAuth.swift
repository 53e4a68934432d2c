/// Signed, expiring play URLs for private recordings, in the style of the push auth
/// (spec §8): the query `t=<expiry>&sign=<sign>`, where `t` is the expiry as lower-case
/// hexadecimal Unix seconds and `sign = hex(MD5(key + path + t))` over the URL's path
/// (`/<vid>.f0.flv`), so a signature opens one recording only.
public enum LVBPlayAuth {
    /// Why a play request was refused.
    public enum Failure: Error, Hashable, Sendable {
        case missing
        case malformed
        case expired
        case wrongSign
    }

    /// The `sign` for a path and an expiry.
    public static func sign(key: String, path: String, t: String) -> String {
        LVBExpiringDigest.digest(key: key, subject: path, time: t)
    }

    /// The query string `t=…&sign=…` that opens `path` until `expiry` (Unix seconds).
    public static func query(key: String, path: String, expiry: Int64) -> String {
        let t = LVBExpiringDigest.time(expiry: expiry, uppercase: false)
        return "t=\(t)&sign=\(sign(key: key, path: path, t: t))"
    }

    /// Checks the `t` and `sign` of a play request for `path`.
    /// - Parameter now: the server's clock, Unix seconds.
    /// - Throws: the ``Failure``.
    public static func verify(key: String, path: String, t: String?, sign: String?, now: Int64) throws(Failure) {
        guard let t, let sign else { throw .missing }
        switch LVBExpiringDigest.check(key: key, subject: path, time: t, digest: sign, now: now) {
        case .valid: return
        case .malformed: throw .malformed
        case .wrongDigest: throw .wrongSign
        case .expired: throw .expired
        }
    }
}
