import API
import Foundation
import Hummingbird
import HummingbirdTesting
import LVB
import NIOCore
import Store
import Testing

/// `--play-key`: only signed, unexpired play URLs play (issue 5, item 2).
@Suite struct SignedPlayURLTests {
    typealias Library = FragmentServingTests.Library
    static let key = "play-key-0123456789"

    static func signed(_ vid: String, expiry: Int64, key: String = key) -> String {
        let path = "/\(vid).f0.flv"
        return path + "?" + LVBPlayAuth.query(key: key, path: path, expiry: expiry)
    }

    @Test func onlySignedUnexpiredURLsPlay() async throws {
        let library = try await Library(size: 50_000, playKey: Self.key)
        defer { library.remove() }
        let now = library.server.clock.now
        let good = Self.signed(library.vid, expiry: now + 60)
        try await library.server.application.test(.router) { client in
            // Signed: the file, whole or in part.
            let get = try await client.execute(uri: good, method: .get)
            #expect(get.status == .ok && Array(buffer: get.body) == library.bytes)
            let range = try await client.execute(uri: good, method: .get, headers: [.range: "bytes=10-19"])
            #expect(range.status == .partialContent && Array(buffer: range.body) == Array(library.bytes[10...19]))
            #expect(try await client.execute(uri: good, method: .head).status == .ok)

            // Refused, with nothing of the file: unsigned, half-signed, wrong key, another vid's
            // signature, a t moved later, a malformed t.
            let otherVid = "1000_eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
            let t = String(now + 60, radix: 16)
            let refused = [
                library.uri,
                library.uri + "?t=\(t)",
                library.uri + "?sign=" + LVBPlayAuth.sign(key: Self.key, path: library.uri, t: t),
                Self.signed(library.vid, expiry: now + 60, key: "wrong"),
                library.uri + "?" + LVBPlayAuth.query(key: Self.key, path: "/\(otherVid).f0.flv", expiry: now + 60),
                library.uri + "?t=\(String(now + 6000, radix: 16))&sign=" + LVBPlayAuth.sign(key: Self.key, path: library.uri, t: t),
                library.uri + "?t=zz&sign=" + LVBPlayAuth.sign(key: Self.key, path: library.uri, t: "zz"),
            ]
            for uri in refused {
                for method in [HTTPRequest.Method.get, .head] {
                    let response = try await client.execute(uri: uri, method: method)
                    #expect(response.status == .forbidden, "\(method) \(uri)")
                    #expect(!Array(buffer: response.body).starts(with: library.bytes.prefix(64)))
                }
            }
            // A signed URL for a vid the store does not know is still 404; a malformed vid too.
            let unknown = try await client.execute(uri: Self.signed("1000_ffffffffffffffffffffffffffffffff", expiry: now + 60), method: .get)
            #expect(unknown.status == .notFound)
            #expect(try await client.execute(uri: "/..%2fcredentials.json.f0.flv?t=1&sign=2", method: .get).status == .notFound)

            // Expired: the same URL stops working once its t has passed.
            library.server.clock.advance(60)
            #expect(try await client.execute(uri: good, method: .get).status == .forbidden)
        }
    }

    @Test func theAPIReturnsSignedPlayURLsThatPlay() async throws {
        let library = try await Library(size: 20_000, playKey: Self.key)
        defer { library.remove() }
        let server = library.server
        let now = server.clock.now
        try await server.store.insertChannel(
            LiveChannel(
                id: "42", name: "lobby", describe: nil, outputSourceType: 1, playerPassword: nil, sourceName: "cam",
                streamId: "1000_stream", outputRates: [0], watermarkId: nil, status: .noInput, createdAt: now
            )
        )
        try await server.application.test(.router) { client in
            var signed = SignedClient(client, server)
            let files = try await signed.call("GetVodRecordFiles", [("channelId", "42"), ("startTime", "2027-01-01 00:00:00")])
            let playURL = try #require(files["filesInfo"]?[0]?["playUrl"]?.stringValue, "\(files)")
            let url = try #require(URL(string: playURL))
            let query = Dictionary(uniqueKeysWithValues: (URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? []).map { ($0.name, $0.value ?? "") })
            // Signed for a day from now, over its own path.
            #expect(Int64(query["t"] ?? "", radix: 16) == now + 86_400)
            try LVBPlayAuth.verify(key: Self.key, path: url.path, t: query["t"], sign: query["sign"], now: now)
            let response = try await client.execute(uri: url.path + "?" + (url.query ?? ""), method: .get)
            #expect(response.status == .ok)
            #expect(Array(buffer: response.body) == library.bytes)
        }
    }
}
