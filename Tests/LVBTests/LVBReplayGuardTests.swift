import Testing

@testable import LVB

@Suite struct LVBReplayGuardTests {
    let now: Int64 = 1_800_000_000

    @Test func timestampWindowIsTwoHoursEitherWay() throws {
        let guardian = LVBReplayGuard()
        try guardian.admit(secretId: "a", nonce: 1, timestamp: now - 7200, now: now)
        try guardian.admit(secretId: "a", nonce: 2, timestamp: now + 7200, now: now)
        for stale in [now - 7201, now - 3 * 3600, now + 7201, 0] {
            #expect(throws: LVBError.self) { try guardian.admit(secretId: "a", nonce: 3, timestamp: stale, now: now) }
        }
        do {
            try guardian.admit(secretId: "a", nonce: 9, timestamp: now - 3 * 3600, now: now)
            Issue.record("a 3 h old Timestamp was admitted")
        } catch {
            #expect(error.code == .replay)
            #expect(error.code.rawValue == 4500)
            #expect(error.message.contains("server Timestamp = \(now)"))
        }
    }

    @Test func nonceIsNeverAcceptedTwicePerSecretIdInsideTheWindow() throws {
        let guardian = LVBReplayGuard()
        try guardian.admit(secretId: "a", nonce: 0, timestamp: now, now: now)
        #expect(throws: LVBError.self) { try guardian.admit(secretId: "a", nonce: 0, timestamp: now, now: now + 1) }
        #expect(throws: LVBError.self) {
            try guardian.admit(secretId: "a", nonce: 0, timestamp: now + 100, now: now + 7000)
        }
        // Another SecretId may use the same nonce.
        try guardian.admit(secretId: "b", nonce: 0, timestamp: now, now: now)
        // Once both the request's timestamp and the present are out of the window, the nonce is free again.
        try guardian.admit(secretId: "a", nonce: 0, timestamp: now + 7300, now: now + 7300)
    }

    @Test func memoryIsBoundedAndForgetsExpiredNonces() throws {
        let guardian = LVBReplayGuard(configuration: .init(windowSeconds: 7200, maxRememberedNonces: 100))
        for nonce in 0..<100 { try guardian.admit(secretId: "a", nonce: UInt64(nonce), timestamp: now, now: now) }
        do {
            try guardian.admit(secretId: "a", nonce: 1000, timestamp: now, now: now)
            Issue.record("admitted past capacity")
        } catch {
            #expect(error.code == .requestLimitExceeded)
        }
        #expect(guardian.rememberedCount == 100)
        // Three hours later every remembered nonce has expired and room is made.
        try guardian.admit(secretId: "a", nonce: 1000, timestamp: now + 3 * 3600, now: now + 3 * 3600)
        #expect(guardian.rememberedCount == 1)
    }
}

@Suite struct LVBPushAuthTests {
    @Test func queryVerifiesAndEveryFailureIsNamed() throws {
        let query = LVBPushAuth.query(key: "key", streamId: "1000_abc", expiry: 0x5C2A_3B4F)
        #expect(
            query
                == "txSecret=\(LVBPushAuth.secret(key: "key", streamId: "1000_abc", txTime: "5C2A3B4F"))&txTime=5C2A3B4F"
        )
        let secret = LVBPushAuth.secret(key: "key", streamId: "1000_abc", txTime: "5C2A3B4F")
        #expect(secret.count == 32 && secret == secret.lowercased())
        try LVBPushAuth.verify(key: "key", streamId: "1000_abc", txSecret: secret, txTime: "5C2A3B4F", now: 0x5C2A_3B4E)
        try LVBPushAuth.verify(
            key: "key",
            streamId: "1000_abc",
            txSecret: secret.uppercased(),
            txTime: "5C2A3B4F",
            now: 0
        )
        #expect(throws: LVBPushAuth.Failure.expired) {
            try LVBPushAuth.verify(
                key: "key",
                streamId: "1000_abc",
                txSecret: secret,
                txTime: "5C2A3B4F",
                now: 0x5C2A_3B4F
            )
        }
        #expect(throws: LVBPushAuth.Failure.wrongSecret) {
            try LVBPushAuth.verify(key: "key", streamId: "1000_abd", txSecret: secret, txTime: "5C2A3B4F", now: 0)
        }
        #expect(throws: LVBPushAuth.Failure.wrongSecret) {
            try LVBPushAuth.verify(key: "other", streamId: "1000_abc", txSecret: secret, txTime: "5C2A3B4F", now: 0)
        }
        #expect(throws: LVBPushAuth.Failure.malformed) {
            try LVBPushAuth.verify(key: "key", streamId: "1000_abc", txSecret: secret, txTime: "xyz", now: 0)
        }
        #expect(throws: LVBPushAuth.Failure.missing) {
            try LVBPushAuth.verify(key: "key", streamId: "1000_abc", txSecret: nil, txTime: "5C2A3B4F", now: 0)
        }
    }

    @Test func md5MatchesTheDocumentedCallbackVector() {
        // spec §9: sign = md5(key + t) for key 5d41402abc4b2a76b9719d911017c592, t 1471850187.
        #expect(
            LVBPushAuth.secret(key: "5d41402abc4b2a76b9719d911017c592", streamId: "", txTime: "1471850187")
                == "b17971b51ba0fe5916ddcd96692e9fb3"
        )
    }
}

@Suite struct LVBTimeTests {
    @Test func formatsInTheAPIZone() {
        #expect(LVBTime.format(1_453_348_800, in: .chinaStandardTime) == "2016-01-21 12:00:00")
        #expect(LVBTime.format(1_453_348_800, in: .utc) == "2016-01-21 04:00:00")
        #expect(LVBTime.format(0, in: .utc) == "1970-01-01 00:00:00")
        #expect(LVBTime.format(-1, in: .utc) == "1969-12-31 23:59:59")
        #expect(LVBTime.format(951_782_400, in: .utc) == "2000-02-29 00:00:00")
        #expect(LVBTime.format(4_102_444_799, in: .utc) == "2099-12-31 23:59:59")
    }

    @Test func parsesAPIAndISOForms() {
        let cst = LVBTimeZone.chinaStandardTime
        #expect(LVBTime.parse("2016-01-21 12:00:00", in: cst) == 1_453_348_800)
        #expect(LVBTime.parse("2016-01-21T12:00:00", in: cst) == 1_453_348_800)
        #expect(LVBTime.parse("2016-01-21T04:00:00Z", in: cst) == 1_453_348_800)
        #expect(LVBTime.parse("2016-01-21T04:00:00.250Z", in: cst) == 1_453_348_800)
        #expect(LVBTime.parse("2016-01-21T06:00:00+02:00", in: cst) == 1_453_348_800)
        #expect(LVBTime.parse("2016-01-20T23:00:00-0500", in: cst) == 1_453_348_800)
        #expect(LVBTime.parse("2000-02-29 00:00:00", in: .utc) == 951_782_400)
    }

    @Test(arguments: [
        "", "2016-01-21", "2016-1-21 12:00:00", "2016-13-01 00:00:00", "2016-02-30 00:00:00", "2015-02-29 00:00:00",
        "2016-01-21 24:00:00", "2016-01-21 12:60:00", "2016-01-21 12:00:60", "2016-01-21 12:00:00 junk",
        "2016-01-21T12:00:00+25:00", "abcd-ef-gh ij:kl:mn", "2016-01-21 12:00:00.",
    ])
    func rejectsInvalidDateTimes(text: String) {
        #expect(LVBTime.parse(text, in: .chinaStandardTime) == nil)
    }

    @Test func roundTripsOverCenturies() {
        var t: Int64 = -2_208_988_800
        while t < 4_200_000_000 {
            #expect(LVBTime.parse(LVBTime.format(t, in: .chinaStandardTime), in: .chinaStandardTime) == t)
            t += 86_399 * 37
        }
    }

    @Test func zones() {
        #expect(LVBTimeZone(parsing: "+08:00")?.secondsFromUTC == 28_800)
        #expect(LVBTimeZone(parsing: "-05:30")?.secondsFromUTC == -19_800)
        #expect(LVBTimeZone(parsing: "+0800")?.secondsFromUTC == 28_800)
        #expect(LVBTimeZone(parsing: "UTC") == .utc)
        #expect(LVBTimeZone(parsing: "8") == nil)
        #expect(LVBTimeZone(parsing: "+8:00") == nil)
        #expect(LVBTimeZone.chinaStandardTime.description == "+08:00")
        #expect(LVBTimeZone(secondsFromUTC: -19_800).description == "-05:30")
    }
}

@Suite struct LVBJSONTests {
    @Test func encodesLikeTheOriginalService() {
        let json = LVBJSON.object([
            ("code", .int(4000)), ("message", .string("(20301)频道 \"x\"\n")), ("codeDesc", .string("InvalidParameter")),
            ("list", .array([.null, .bool(true), .double(2.5), .double(3)])), ("empty", .object([])),
        ])
        #expect(
            json.encoded
                == #"{"code":4000,"message":"(20301)\u9891\u9053 \"x\"\n","codeDesc":"InvalidParameter","list":[null,true,2.5,3],"empty":{}}"#
        )
        #expect(LVBJSON.string("😀").encoded == #""\ud83d\ude00""#)
    }

    @Test func parsesWhatItWritesKeepingOrder() throws {
        let json = LVBJSON.object([
            ("z", .string("é😀\u{01}")), ("a", .array([.int(-5), .double(1.5e-3), .object([("k", .null)])])),
        ])
        #expect(try LVBJSON(parsing: json.encoded) == json)
        #expect(try LVBJSON(parsing: json.prettyPrinted) == json)
        #expect(try LVBJSON(parsing: #" {"a" : "\/\u00e9"} "#)["a"]?.stringValue == "/é")
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\"}", "tru", "\"abc", "1 2", "{\"a\":1,}", "[\"\\x\"]", "\"\u{01}\""])
    func rejectsMalformedText(text: String) {
        #expect(throws: LVBJSON.DecodingError.self) { try LVBJSON(parsing: text) }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: LVBJSON.DecodingError.self) { try LVBJSON(parsing: text) }
    }
}
