import API
import Foundation
import Hummingbird
import HummingbirdTesting
import LVB
import Store
import Testing

@Suite struct ChannelActionTests {
    static let create = [
        ("channelName", "demo"), ("channelDescribe", "a camera"), ("outputSourceType", "3"),
        ("sourceList.1.name", "cam"), ("sourceList.1.type", "1"), ("outputRate.1", "0"), ("outputRate.2", "10"),
    ]

    @Test func createReturnsIdAndAddressesWithValidPushAuth() async throws {
        let server = TestServer { $0.publicHost = "rec.example.com"; $0.rtmpPort = 1936; $0.httpPort = 8081 }
        try await server.application.test(.router) { client in
            var signed = SignedClient(client, server)
            let reply = try await signed.call("CreateLVBChannel", Self.create)
            #expect(reply.code == 0)
            let id = try #require(reply["channel_id"]?.stringValue)
            #expect(id.count == 20 && UInt64(id) != nil)
            let channel = try #require(try await server.store.channel(id: id))
            #expect(channel.name == "demo" && channel.describe == "a camera" && channel.outputSourceType == 3)
            #expect(channel.outputRates == [0, 10])
            #expect(channel.streamId.range(of: #"^1000_[0-9a-f]{32}$"#, options: .regularExpression) != nil)

            let upstream = try #require(reply["channelInfo"]?["upstream_address"]?.stringValue)
            let prefix = "rtmp://rec.example.com:1936/live/\(channel.streamId)?"
            #expect(upstream.hasPrefix(prefix))
            let query = try LVBParameters(formEncoded: Array(upstream.dropFirst(prefix.count).utf8))
            try LVBPushAuth.verify(
                key: server.credentials.pushKey, streamId: channel.streamId, txSecret: query["txSecret"],
                txTime: query["txTime"], now: server.clock.now
            )
            #expect(UInt64(query["txTime"]!, radix: 16) == UInt64(server.clock.now + server.configuration.pushAuthLifetime))

            let downstream = try #require(reply["channelInfo"]?["downstream_address"]?.arrayValue)
            #expect(downstream.count == 2)
            #expect(downstream[0]["rate_type"]?.intValue == 0)
            #expect(downstream[0]["rtmp_downstream_address"]?.stringValue == "rtmp://rec.example.com:1936/live/\(channel.streamId)")
            #expect(downstream[0]["flv_downstream_address"]?.stringValue == "http://rec.example.com:8081/live/\(channel.streamId).flv")
            #expect(downstream[1]["rate_type"]?.intValue == 10)
            #expect(downstream[1]["hls_downstream_address"]?.stringValue == "http://rec.example.com:8081/live/\(channel.streamId)_550.m3u8")
        }
    }

    @Test func addressesUseTheCalledHostWhenNoPublicHostIsSet() async throws {
        let server = TestServer()
        try await server.application.test(.router) { client in
            var signed = SignedClient(client, server)
            let reply = try await signed.call("CreateLVBChannel", Self.create)
            #expect(reply["channelInfo"]?["upstream_address"]?.stringValue?.hasPrefix("rtmp://localhost:1935/live/1000_") == true)
        }
    }

    struct BadCreate: Sendable, CustomTestStringConvertible {
        var parameters: [(String, String)]
        var mention: String
        var testDescription: String { mention }
    }

    static let source: [(String, String)] = [("sourceList.1.name", "a"), ("sourceList.1.type", "1")]
    static let base: [(String, String)] = [("channelName", "x"), ("outputSourceType", "1")] + source
    static let badCreates: [BadCreate] = [
        BadCreate(parameters: [("outputSourceType", "1")] + source, mention: "channelName"),
        BadCreate(parameters: [("channelName", "x")] + source, mention: "outputSourceType"),
        BadCreate(parameters: [("channelName", "x"), ("outputSourceType", "4")] + source, mention: "outputSourceType"),
        BadCreate(parameters: [("channelName", "x"), ("outputSourceType", "1")], mention: "sourceList"),
        BadCreate(parameters: [("channelName", "x"), ("outputSourceType", "1"), ("sourceList.1.name", "a")], mention: "sourceList.N.type"),
        BadCreate(
            parameters: [("channelName", "x"), ("outputSourceType", "1"), ("sourceList.1.name", "a"), ("sourceList.1.type", "2")],
            mention: "(20112)"
        ),
        BadCreate(parameters: base + [("sourceList.2.name", "b"), ("sourceList.2.type", "1")], mention: "exactly one source"),
        BadCreate(parameters: base + [("outputRate.1", "10")], mention: "must include 0"),
        BadCreate(parameters: base + [("outputRate.1", "0"), ("outputRate.2", "30")], mention: "outputRate"),
        BadCreate(
            parameters: [("channelName", String(repeating: "n", count: 129)), ("outputSourceType", "1")] + source,
            mention: "channelName"
        ),
    ]

    @Test(arguments: badCreates)
    func createRefusesBadInputAndCreatesNothing(bad: BadCreate) async throws {
        let (parameters, mention) = (bad.parameters, bad.mention)
        let server = TestServer()
        try await server.application.test(.router) { client in
            var signed = SignedClient(client, server)
            let reply = try await signed.call("CreateLVBChannel", parameters)
            #expect(reply.code == 4000)
            #expect(reply["codeDesc"]?.stringValue == "InvalidParameter")
            #expect(reply.message.contains(mention), "\(reply.message)")
            #expect(try await server.store.channels(ChannelQuery()).totalCount == 0)
        }
    }

    @Test func fullLifecycleDescribeListModifyStopStartDelete() async throws {
        let server = TestServer { $0.apiTimeZone = .chinaStandardTime }
        try await server.application.test(.router) { client in
            var signed = SignedClient(client, server)
            var ids: [String] = []
            for n in 0..<3 {
                let reply = try await signed.call("CreateLVBChannel", [("channelName", "ch\(n)")] + Self.create.dropFirst())
                ids.append(try #require(reply["channel_id"]?.stringValue))
                server.clock.advance(60)
            }

            let described = try await signed.call("DescribeLVBChannel", [("channelId", ids[0])])
            #expect(described.code == 0)
            let info = try #require(described["channelInfo"]?[0])
            #expect(info["channel_id"]?.stringValue == ids[0])
            #expect(info["channel_name"]?.stringValue == "ch0")
            #expect(info["channel_describe"]?.stringValue == "a camera")
            #expect(info["channel_status"]?.stringValue == "0")
            let source = try #require(info["upstream_list"]?[0])
            let streamId = try #require(try await server.store.channel(id: ids[0])?.streamId)
            #expect(source["sourceID"]?.stringValue == streamId)
            #expect(source["sourceName"]?.stringValue == "cam")
            #expect(source["sourceAddress"]?.stringValue?.contains("/live/\(streamId)?txSecret=") == true)
            #expect(info["rtmp_downstream_address"]?.stringValue == "rtmp://localhost:1935/live/\(streamId)")
            #expect(info["resolution"] == .null)

            let list = try await signed.call("DescribeLVBChannelList", [("pageSize", "2"), ("ascDesc", "1")])
            #expect(list["all_count"]?.stringValue == "3")
            let set = try #require(list["channelSet"]?.arrayValue)
            #expect(set.map { $0["channel_name"]?.stringValue } == ["ch2", "ch1"])
            #expect(set[1]["create_time"]?.stringValue == LVBTime.format(1_800_000_060, in: .chinaStandardTime))
            let page2 = try await signed.call("DescribeLVBChannelList", [("pageSize", "2"), ("pageNo", "2")])
            #expect(page2["channelSet"]?.arrayValue?.map { $0["channel_name"]?.stringValue } == ["ch2"])

            let modified = try await signed.call(
                "ModifyLVBChannel", [("channelId", ids[1]), ("channelName", "renamed"), ("channelDescribe", "new")]
            )
            #expect(modified.code == 0)
            #expect(try await server.store.channel(id: ids[1])?.name == "renamed")
            #expect(try await server.store.channel(id: ids[1])?.describe == "new")

            // Batch with 0-based indexes.
            #expect(try await signed.call("StopLVBChannel", [("channelIds.0", ids[0]), ("channelIds.1", ids[1])]).code == 0)
            let closed = try await signed.call("DescribeLVBChannelList", [("channelStatus", "3")])
            #expect(closed["all_count"]?.stringValue == "2")
            #expect(try await signed.call("DescribeLVBChannel", [("channelId", ids[0])])["channelInfo"]?[0]?["channel_status"]?.stringValue == "3")
            // 1-based.
            #expect(try await signed.call("StartLVBChannel", [("channelIds.1", ids[0])]).code == 0)
            #expect(try await server.store.channel(id: ids[0])?.status == .noInput)
            #expect(try await server.store.channel(id: ids[1])?.status == .closed)

            #expect(try await signed.call("DeleteLVBChannel", [("channelIds.1", ids[0]), ("channelIds.2", ids[2])]).code == 0)
            #expect(try await server.store.channels(ChannelQuery()).channels.map(\.id) == [ids[1]])
            let gone = try await signed.call("DescribeLVBChannel", [("channelId", ids[0])])
            #expect(gone.code == 4000)
            #expect(gone.message == "(20301)channel '\(ids[0])' does not exist")

            let online = try await signed.call("DescribeLVBOnlineUsers", [("channelIds.1", ids[1])])
            #expect(online["list"] == .array([.object([("channelId", .string(ids[1])), ("online", .int(0))])]))
            let all = try await signed.call("DescribeLVBOnlineUsers")
            #expect(all["list"]?[0]?["channelId"]?.stringValue == "-1")
        }
    }

    @Test func badOrMissingChannelIdGets4000AndBatchesChangeNothing() async throws {
        let server = TestServer()
        try await server.application.test(.router) { client in
            var signed = SignedClient(client, server)
            let id = try #require(try await signed.call("CreateLVBChannel", Self.create)["channel_id"]?.stringValue)

            let missing = try await signed.call("DescribeLVBChannel")
            #expect(missing.code == 4000)
            #expect(missing.message.contains("missing required parameter 'channelId'"))
            let malformed = try await signed.call("DescribeLVBChannel", [("channelId", "abc")])
            #expect(malformed.code == 4000)
            #expect(malformed.message.contains("'abc' is not a channel id"))
            let unknown = try await signed.call("ModifyLVBChannel", [("channelId", "123"), ("channelName", "x")])
            #expect(unknown.code == 4000)
            #expect(unknown.message.hasPrefix("(20301)"))
            #expect(try await signed.call("ModifyLVBChannel", [("channelId", id)]).code == 4000)
            #expect(try await signed.call("StopLVBChannel").message.contains("channelIds.N"))

            for action in ["StopLVBChannel", "DeleteLVBChannel"] {
                let reply = try await signed.call(action, [("channelIds.1", id), ("channelIds.2", "999")])
                #expect(reply.code == 4000)
                #expect(reply.message == "(20301)channel '999' does not exist")
            }
            let listBad = try await signed.call("DescribeLVBChannelList", [("pageSize", "1000")])
            #expect(listBad.code == 4000)
            let channel = try #require(try await server.store.channel(id: id))
            #expect(channel.status == .noInput && channel.name == "demo")
        }
    }
}
