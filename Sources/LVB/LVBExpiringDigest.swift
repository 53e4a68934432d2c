/// The construction push auth and play auth share (spec §8): an expiry written as hexadecimal
/// Unix seconds, `time`, and `hex(MD5(key + subject + time))`, where the subject is the stream
/// id (push) or the URL path (play).
enum LVBExpiringDigest {
    /// What a check found.
    enum Outcome: Hashable {
        case valid
        /// `time` is not hexadecimal of at most 16 digits.
        case malformed
        case wrongDigest
        case expired
    }

    /// `time` for an expiry, Unix seconds.
    static func time(expiry: Int64, uppercase: Bool) -> String {
        String(UInt64(max(0, expiry)), radix: 16, uppercase: uppercase)
    }

    static func digest(key: String, subject: String, time: String) -> String {
        LVBDigest.md5Hex(key + subject + time)
    }

    /// Checks a received `time` and `digest` (any case) against the key and subject, in
    /// constant time, then the expiry against `now` (Unix seconds).
    static func check(key: String, subject: String, time: String, digest: String, now: Int64) -> Outcome {
        guard time.count <= 16, let expiry = UInt64(time, radix: 16) else { return .malformed }
        guard LVBDigest.constantTimeEqual(self.digest(key: key, subject: subject, time: time), digest.lowercased()) else {
            return .wrongDigest
        }
        return expiry > UInt64(max(0, now)) ? .valid : .expired
    }
}
