import API
import Hummingbird
import HummingbirdTesting
import LVB
import Store
import Testing

@Suite struct AuthenticationTests {
    @Test(arguments: LVBCanonicalization.allCases)
    func everyClientVariantIsAcceptedOverGETAndPOST(variant: LVBCanonicalization) async throws {
        let server = TestServer()
        try await server.application.test(.router) { client in
            var signed = SignedClient(client, server)
            for method in [HTTPRequest.Method.get, .post] {
                for signatureMethod in [nil, LVBSignatureMethod.hmacSHA1, .hmacSHA256] {
                    for host in ["localhost", "live.api.qcloud.com"] {
                        let options = SignedClient.Options(
                            method: method, canonicalization: variant, signatureMethod: signatureMethod, host: host
                        )
                        let reply = try await signed.call("DescribeLVBChannelList", [("page_size", "5")], options: options)
                        #expect(reply.code == 0, "\(method) \(String(describing: signatureMethod)) \(host): \(reply.message)")
                        #expect(reply["codeDesc"]?.stringValue == "Success")
                    }
                }
            }
        }
    }

    @Test func wrongKeyChangedParameterMissingSignatureOrUnknownIdGet4100() async throws {
        let server = TestServer()
        try await server.application.test(.router) { client in
            var signed = SignedClient(client, server)
            let create = [("channelName", "x"), ("outputSourceType", "1"), ("sourceList.1.name", "a"), ("sourceList.1.type", "1")]
            let refusals: [SignedClient.Options] = [
                .init(secretKey: "wrong"),
                .init(tamper: { $0[$0.firstIndex { $0.name == "channelName" }!].value = "y" }),
                .init(tamper: { $0.removeAll { $0.name == "Signature" } }),
                .init(tamper: { $0[$0.firstIndex { $0.name == "Signature" }!].value = "" }),
                .init(secretId: "AKIDunknown"),
                .init(tamper: { $0.removeAll { $0.name == "SecretId" } }),
                .init(host: "evil.example"),
                .init(method: .post, tamper: { $0.append(.init(name: "extra", value: "1")) }),
            ]
            for options in refusals {
                let reply = try await signed.call("CreateLVBChannel", create, options: options)
                #expect(reply.code == 4100)
                #expect(reply["codeDesc"]?.stringValue == "AuthFailure")
                #expect(reply.message.hasPrefix("authentication failed"))
            }
            // Nothing was created by any of them.
            #expect(try await server.store.channels(ChannelQuery()).totalCount == 0)
        }
    }

    @Test func repeatedNonceAndStaleTimestampGet4500() async throws {
        let server = TestServer()
        try await server.application.test(.router) { client in
            var signed = SignedClient(client, server)
            let create = [("channelName", "x"), ("outputSourceType", "1"), ("sourceList.1.name", "a"), ("sourceList.1.type", "1")]
            #expect(try await signed.call("CreateLVBChannel", create, options: .init(nonce: 77)).code == 0)
            let replay = try await signed.call("CreateLVBChannel", create, options: .init(nonce: 77))
            #expect(replay.code == 4500)
            #expect(replay.message.contains("server Timestamp = \(server.clock.now)"))
            let stale = try await signed.call("CreateLVBChannel", create, options: .init(timestamp: server.clock.now - 3 * 3600))
            #expect(stale.code == 4500)
            let future = try await signed.call("CreateLVBChannel", create, options: .init(timestamp: server.clock.now + 3 * 3600))
            #expect(future.code == 4500)
            #expect(try await server.store.channels(ChannelQuery()).totalCount == 1)
            // Inside the window the same nonce stays refused, however the clock moves.
            server.clock.advance(7000)
            #expect(try await signed.call("DescribeLVBChannelList", options: .init(nonce: 77)).code == 4500)
        }
    }

    @Test func malformedCommonParametersGet4000() async throws {
        let server = TestServer()
        try await server.application.test(.router) { client in
            var signed = SignedClient(client, server)
            let badTimestamp = try await signed.call(
                "DescribeLVBChannelList", options: .init(tamper: { $0[$0.firstIndex { $0.name == "Timestamp" }!].value = "soon" })
            )
            #expect(badTimestamp.code == 4000)
            #expect(badTimestamp.message.contains("Timestamp"))
            let noNonce = try await signed.call("DescribeLVBChannelList", options: .init(tamper: { $0.removeAll { $0.name == "Nonce" } }))
            #expect(noNonce.code == 4000)
            #expect(noNonce.message.contains("Nonce"))
            let unknown = try await signed.call("MakeCoffee")
            #expect(unknown.code == 4000)
            #expect(unknown.message.contains("unknown Action 'MakeCoffee'"))
        }
    }

    @Test func onlyGETAndPOSTCarryRequestsButEveryMethodGetsTheEnvelope() async throws {
        let server = TestServer()
        try await server.application.test(.router) { client in
            for method in [HTTPRequest.Method.put, .delete, .patch, .options] {
                let response = try await client.execute(uri: "/v2/index.php?Action=x", method: method)
                let reply = try SignedClient.envelope(response)
                #expect(reply.code == 4000)
            }
            // POST takes its parameters from the body only: a signed query string is ignored.
            var signed = SignedClient(client, server)
            _ = try await signed.call("DescribeLVBChannelList")
            let response = try await client.execute(uri: "/v2/index.php?Action=DescribeLVBChannelList", method: .post)
            #expect(try SignedClient.envelope(response).code == 4100)
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
    }
}
