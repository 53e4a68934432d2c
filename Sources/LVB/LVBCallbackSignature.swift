/// The signature of an event callback (spec §9): `t` is the Unix time the notification
/// expires and `sign = hex(MD5(key + t))`, lower case.
public enum LVBCallbackSignature {
    /// The `sign` for a key and an expiry.
    public static func sign(key: String, t: Int64) -> String {
        LVBDigest.md5Hex(key + String(t))
    }

    /// Whether a received `sign` is right for `t` and the notification has not expired at `now`.
    public static func isValid(sign: String, key: String, t: Int64, now: Int64) -> Bool {
        LVBDigest.constantTimeEqual(self.sign(key: key, t: t), sign.lowercased()) && t > now
    }
}
