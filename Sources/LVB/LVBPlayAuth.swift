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
        LVBDigest.md5Hex(key + path + t)
    }

    /// The query string `t=…&sign=…` that opens `path` until `expiry` (Unix seconds).
    public static func query(key: String, path: String, expiry: Int64) -> String {
        let t = String(UInt64(max(0, expiry)), radix: 16)
        return "t=\(t)&sign=\(sign(key: key, path: path, t: t))"
    }

    /// Checks the `t` and `sign` of a play request for `path`.
    /// - Parameter now: the server's clock, Unix seconds.
    /// - Throws: the ``Failure``.
    public static func verify(key: String, path: String, t: String?, sign: String?, now: Int64) throws(Failure) {
        guard let t, let sign else { throw .missing }
        guard t.count <= 16, let expiry = UInt64(t, radix: 16) else { throw .malformed }
        guard LVBDigest.constantTimeEqual(self.sign(key: key, path: path, t: t), sign.lowercased()) else {
            throw .wrongSign
        }
        guard expiry > UInt64(max(0, now)) else { throw .expired }
    }
}
