import API
import Hummingbird
import HummingbirdTesting
import LVB
import NIOCore
import Store
import Testing

/// Whatever arrives at the endpoint, the answer is the JSON envelope and nothing changes.
@Suite struct HostileInputTests {
    @Test func hugeBodiesManyParametersBadEscapesAndInvalidUTF8() async throws {
        let server = TestServer()
        try await server.application.test(.router) { client in
            let signed = SignedClient(client, server)
            let cases: [(String, HTTPRequest.Method, String)] = [
                ("a=" + String(repeating: "x", count: 2 << 20), .post, "exceeds"),
                ("a=" + String(repeating: "x", count: 70_000), .get, "exceed"),
                ((0..<5000).map { "p\($0)=1" }.joined(separator: "&"), .post, "more than 512 parameters"),
                ("Action=%ZZ", .get, "percent-escape"),
                ("Action=%", .post, "percent-escape"),
                ("Action=%C3%28", .get, "UTF-8"),
                ("Action=x&Action=y", .get, "more than once"),
                ("=&=&=", .get, "empty name"),
            ]
            for (body, method, mention) in cases {
                let reply = try await signed.send(body, method: method)
                #expect(reply.code == 4000)
                #expect(reply.message.contains(mention), "\(reply.message)")
            }
            let raw = try await client.execute(
                uri: "/v2/index.php", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(bytes: [0x41, 0x3D, 0xFF, 0xFE, 0x00, 0x26, 0x80])
            )
            #expect(try SignedClient.envelope(raw).code == 4000)
        }
    }

    @Test func tenThousandRandomRequestsAlwaysGetTheEnvelope() async throws {
        let server = TestServer()
        try await server.application.test(.router) { client in
            var generator = SplitMix64(seed: 0x5EED)
            var signed = SignedClient(client, server)
            let names = ["Action", "SecretId", "Signature", "Nonce", "Timestamp", "channelId", "channelIds.1", "sourceList.1.type", "pageSize", "x_y", "%", "=", "&"]
            let actions = ["CreateLVBChannel", "DescribeLVBChannel", "DeleteLVBChannel", "StopLVBChannel", "DescribeLVBChannelList", "", "\u{0}"]
            var codes: [Int64: Int] = [:]
            for round in 0..<10_000 {
                var text = ""
                for _ in 0..<Int(generator.next() % 8) {
                    let name = names[Int(generator.next() % UInt64(names.count))]
                    var value = ""
                    switch generator.next() % 4 {
                    case 0: value = actions[Int(generator.next() % UInt64(actions.count))]
                    case 1: value = String(generator.next())
                    case 2: value = String((0..<Int(generator.next() % 12)).map { _ in Character(Unicode.Scalar(UInt8(generator.next() % 94 + 33))) })
                    default: value = (0..<Int(generator.next() % 6)).map { _ in "%" + String(generator.next() % 256, radix: 16) }.joined()
                    }
                    text += (text.isEmpty ? "" : "&") + name + "=" + value
                }
                let reply: LVBJSON
                if round % 10 == 0 {
                    // Some are properly signed with random action parameters, to reach the actions.
                    let action = actions[Int(generator.next() % 5)]
                    reply = try await signed.call(action, [("channelId", String(generator.next() % 1000)), ("channelIds.1", String(generator.next())), ("pageSize", String(generator.next() % 200))])
                } else {
                    reply = try await signed.send(text, method: generator.next() % 2 == 0 ? .get : .post)
                }
                codes[reply.code ?? -1, default: 0] += 1
            }
            #expect(codes[-1] == nil)
            #expect(Set(codes.keys).isSubset(of: [0, 4000, 4100, 4500]))
            // A good share got past decoding to the signature check, and the signed ones to the actions.
            #expect(codes[4100, default: 0] > 1000)
            #expect(codes[0, default: 0] + codes[4000, default: 0] > 1000)
            // No channel was created by random input.
            #expect(try await server.store.channels(ChannelQuery()).totalCount == 0)
        }
    }
}

/// A small deterministic generator so a failing round can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
