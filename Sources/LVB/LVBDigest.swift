import Crypto

/// The MD5 hex digests of the key-based signatures (push auth, play auth, callbacks) and a
/// comparison that takes the same time wherever the inputs differ.
enum LVBDigest {
    /// Lower-case hex MD5 of the UTF-8 bytes of `text`.
    static func md5Hex(_ text: String) -> String {
        Insecure.MD5.hash(data: Array(text.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (a, b) = (Array(a.utf8), Array(b.utf8))
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
