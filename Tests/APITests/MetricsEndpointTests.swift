import Hummingbird
import HummingbirdTesting
import LVB
import NIOCore
import Testing

/// `/metrics` on the HTTP port: the Prometheus text of the server's own registry.
@Suite struct MetricsEndpointTests {
    /// The samples of an exposition, by series (`name{labels}`).
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    static func scrape(_ client: any TestClientProtocol) async throws -> String {
        let response = try await client.execute(uri: "/metrics", method: .get)
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
        return String(buffer: response.body)
    }

    static func requests(_ action: String, _ code: Int64?) -> String {
        "reel_api_requests_total{action=\"\(action)\",code=\"\(code ?? -1)\"}"
    }

    @Test func apiRequestsAreCountedByActionAndEnvelopeCode() async throws {
        let server = TestServer()
        try await server.application.test(.router) { client in
            var signed = SignedClient(client, server)
            let created = try await signed.call("CreateLVBChannel", ChannelActionTests.create)
            #expect(created.code == 0)
            #expect(try await signed.call("CreateLVBChannel", ChannelActionTests.create).code == 0)
            let missing = try await signed.call("DescribeLVBChannel", [("channelId", "12345678901234567890")])
            #expect(missing.code != 0)
            let badSignature = try await signed.call("DescribeLVBChannelList", options: .init(secretKey: "wrong"))
            #expect(badSignature.code == Int64(LVBError.Code.authFailure.rawValue))
            // Names the server does not answer share one label value.
            let unknown = try await signed.call("NoSuchAction")
            let madeUp = try await signed.call("AnotherMadeUpAction")
            #expect(unknown.code == madeUp.code && unknown.code != 0)
            let put = try await client.execute(uri: "/v2/index.php", method: .put)
            let putCode = try SignedClient.envelope(put).code

            let text = try await Self.scrape(client)
            let samples = Self.samples(text)
            #expect(text.contains("# TYPE reel_api_requests_total counter\n"))
            #expect(samples[Self.requests("CreateLVBChannel", 0)] == 2)
            #expect(samples[Self.requests("DescribeLVBChannel", missing.code)] == 1)
            #expect(samples[Self.requests("DescribeLVBChannelList", badSignature.code)] == 1)
            #expect(samples[Self.requests("unknown", unknown.code)] == (unknown.code == putCode ? 3 : 2))
            #expect(!text.contains("NoSuchAction") && !text.contains("AnotherMadeUpAction"))
            let apiTotal = samples.filter { $0.key.hasPrefix("reel_api_requests_total{") }.values.reduce(0, +)
            #expect(apiTotal == 7)
            // The other metrics are there from the start.
            #expect(samples["reel_publishers_live"] == 0)
            #expect(samples["reel_bytes_in_total"] == 0)
            #expect(samples["reel_fragments_closed_total{reason=\"max_duration\"}"] == 0)
            #expect(samples["reel_callback_deliveries_total"] == 0)
            #expect(samples["reel_callback_failures_total"] == 0)
        }
    }

    @Test func eachServerInOneProcessHasItsOwnCounters() async throws {
        let first = TestServer()
        let second = TestServer()
        try await first.application.test(.router) { client in
            var signed = SignedClient(client, first)
            let created = try await signed.call("CreateLVBChannel", ChannelActionTests.create)
            let samples = Self.samples(try await Self.scrape(client))
            #expect(created.code == 0)
            #expect(samples[Self.requests("CreateLVBChannel", 0)] == 1)
        }
        try await second.application.test(.router) { client in
            let before = Self.samples(try await Self.scrape(client))
            var signed = SignedClient(client, second)
            let created = try await signed.call("CreateLVBChannel", ChannelActionTests.create)
            let after = Self.samples(try await Self.scrape(client))
            #expect(before[Self.requests("CreateLVBChannel", 0)] == nil)
            #expect(created.code == 0)
            #expect(after[Self.requests("CreateLVBChannel", 0)] == 1)
        }
    }
}
