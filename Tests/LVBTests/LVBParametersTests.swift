import Testing

@testable import LVB

@Suite struct LVBParametersTests {
    func decode(_ text: String, limits: LVBParameters.Limits = .default) throws(LVBError) -> LVBParameters {
        try LVBParameters(formEncoded: Array(text.utf8), limits: limits)
    }

    @Test func decodesEscapesPlusAndEmptyValues() throws {
        let p = try decode(
            "a=1&b=2016-01-21+12%3A00%3A00&c=2016-01-21%2012:00:00&d=&e&f=%E4%B8%AD%e6%96%87&&g=a%2Bb%3D"
        )
        #expect(p["a"] == "1")
        #expect(p["b"] == "2016-01-21 12:00:00")
        #expect(p["c"] == "2016-01-21 12:00:00")
        #expect(p["d"] == "")
        #expect(p["e"] == "")
        #expect(p["f"] == "中文")
        #expect(p["g"] == "a+b=")
        #expect(p.pairs.map(\.name) == ["a", "b", "c", "d", "e", "f", "g"])
    }

    @Test(arguments: ["a=%", "a=%4", "a=%G1", "a=%zz", "%=1", "a=%C3%28", "a=%FF", "a=%ED%A0%80"])
    func malformedEscapesAndInvalidUTF8AreRejected(text: String) {
        #expect(throws: LVBError.self) { try decode(text) }
        do {
            _ = try decode(text)
        } catch {
            #expect(error.code == .invalidParameter)
        }
    }

    @Test func rawInvalidUTF8IsRejected() {
        #expect(throws: LVBError.self) { try LVBParameters(formEncoded: [0x61, 0x3D, 0xC3, 0x28]) }
    }

    @Test func duplicatesEmptyNamesAndLimits() throws {
        #expect(throws: LVBError.self) { try decode("a=1&a=2") }
        #expect(throws: LVBError.self) { try decode("=1") }
        let many = (0..<20).map { "p\($0)=1" }.joined(separator: "&")
        #expect(throws: LVBError.self) { try decode(many, limits: .init(maxCount: 19)) }
        #expect(try decode(many, limits: .init(maxCount: 20)).pairs.count == 20)
        #expect(throws: LVBError.self) {
            try decode("a=" + String(repeating: "x", count: 100), limits: .init(maxEncodedBytes: 50))
        }
        #expect(throws: LVBError.self) { try decode(String(repeating: "n", count: 200) + "=1") }
    }

    @Test func arraysInAnyIndexBaseOrderedNumerically() throws {
        let zero = try decode("channelIds.0=a&channelIds.1=b")
        #expect(zero.list("channelIds") == ["a", "b"])
        let one = try decode("channelIds.2=b&channelIds.1=a&channelIds.10=c")
        #expect(one.list("channelIds") == ["a", "b", "c"])
        let literal = try decode("channelIds.n=x")
        #expect(literal.list("channelIds") == ["x"])
        #expect(try decode("channelIdsX=1&other.1=2").list("channelIds") == [])
        let objects = try decode(
            "sourceList.1.type=1&sourceList.1.name=cam&sourceList.0.name=first&sourceList.0.type=2"
        )
        #expect(objects.objects("sourceList") == [["name": "first", "type": "2"], ["name": "cam", "type": "1"]])
        #expect(objects.list("sourceList") == [])
    }

    @Test func requiredIntegerAndAliases() throws {
        let p = try decode("n=5&bad=x&empty=&start_time=t")
        #expect(try p.integer("n", in: 1...10) == 5)
        #expect(try p.integer("missing", in: 1...10) == nil)
        #expect(try p.integer("empty", in: 1...10) == nil)
        #expect(throws: LVBError.self) { try p.integer("n", in: 6...10) }
        #expect(throws: LVBError.self) { try p.integer("bad", in: 0...10) }
        #expect(throws: LVBError.self) { try p.required("empty") }
        #expect(throws: LVBError.self) { try p.required("missing") }
        #expect(p.first(of: "startTime", "start_time") == "t")
    }

    @Test func formEncodeRoundTrips() throws {
        let pairs = [
            LVBParameters.Pair(name: "startTime", value: "2016-01-21 12:00:00"),
            .init(name: "x", value: "a+b&c=d/é~"),
        ]
        let encoded = LVBParameters.formEncode(pairs)
        #expect(encoded == "startTime=2016-01-21%2012%3A00%3A00&x=a%2Bb%26c%3Dd%2F%C3%A9~")
        #expect(try decode(encoded).pairs == pairs)
    }
}
