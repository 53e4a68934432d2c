import Testing

@testable import LVB

@Suite("Callback signatures and signed play URLs")
struct LVBCallbackAndPlayAuthTests {
    @Test("callback sign: the documented vector (spec §9)")
    func callbackVector() {
        #expect(LVBCallbackSignature.sign(key: "5d41402abc4b2a76b9719d911017c592", t: 1_471_850_187) == "b17971b51ba0fe5916ddcd96692e9fb3")
        let key = "5d41402abc4b2a76b9719d911017c592"
        #expect(LVBCallbackSignature.isValid(sign: "B17971B51BA0FE5916DDCD96692E9FB3", key: key, t: 1_471_850_187, now: 1_471_850_000))
        #expect(!LVBCallbackSignature.isValid(sign: "b17971b51ba0fe5916ddcd96692e9fb3", key: key, t: 1_471_850_187, now: 1_471_850_187))
        #expect(!LVBCallbackSignature.isValid(sign: "b17971b51ba0fe5916ddcd96692e9fb3", key: key + "x", t: 1_471_850_187, now: 0))
        #expect(!LVBCallbackSignature.isValid(sign: "b17971b51ba0fe5916ddcd96692e9fb", key: key, t: 1_471_850_187, now: 0))
    }

    static let path = "/1000_0123456789abcdef0123456789abcdef.f0.flv"

    @Test("play auth: the sign is md5(key + path + t) over hex t, and verifies until t")
    func playAuthRoundTrip() throws {
        let query = LVBPlayAuth.query(key: "k3y", path: Self.path, expiry: 0x6928_a3c0)
        // md5("k3y" + path + "6928a3c0"), computed independently with md5sum.
        #expect(query == "t=6928a3c0&sign=7e1399ad3785d29cc0b6b6b537a6e95b")
        try LVBPlayAuth.verify(key: "k3y", path: Self.path, t: "6928a3c0", sign: "7e1399ad3785d29cc0b6b6b537a6e95b", now: 0x6928_a3bf)
        // The sign's case does not matter.
        try LVBPlayAuth.verify(key: "k3y", path: Self.path, t: "6928a3c0", sign: "7E1399AD3785D29CC0B6B6B537A6E95B", now: 0)
    }

    @Test("play auth refusals: missing, malformed, expired, wrong sign, another path, another key")
    func playAuthRefusals() {
        let t = "6928a3c0"
        let sign = LVBPlayAuth.sign(key: "k3y", path: Self.path, t: t)
        func failure(_ key: String = "k3y", path: String = Self.path, t: String? = t, sign: String? = sign, now: Int64 = 0)
            -> LVBPlayAuth.Failure?
        {
            do {
                try LVBPlayAuth.verify(key: key, path: path, t: t, sign: sign, now: now)
                return nil
            } catch { return error }
        }
        #expect(failure() == nil)
        #expect(failure(t: nil) == .missing)
        #expect(failure(sign: nil) == .missing)
        #expect(failure(t: "zz") == .malformed)
        #expect(failure(t: String(repeating: "1", count: 17)) == .malformed)
        #expect(failure(now: 0x6928_a3c0) == .expired)
        #expect(failure(sign: String(repeating: "0", count: 32)) == .wrongSign)
        #expect(failure(path: "/1000_ffffffffffffffffffffffffffffffff.f0.flv") == .wrongSign)
        #expect(failure("other") == .wrongSign)
        // A later t with the old sign does not extend the URL.
        #expect(failure(t: "7928a3c0") == .wrongSign)
    }

    @Test("MD5 hex matches known digests")
    func md5() {
        #expect(LVBDigest.md5Hex("") == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(LVBDigest.md5Hex("hello") == "5d41402abc4b2a76b9719d911017c592")
    }
}
