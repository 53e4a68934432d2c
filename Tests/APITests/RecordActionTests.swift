import API
import App
import Foundation
import Hummingbird
import HummingbirdTesting
import LVB
import Store
import Testing

@Suite struct RecordActionTests {
    /// The test clock's start, 2027-01-15 08:00:00 UTC.
    static let now: Int64 = 1_800_000_000
    static func local(_ offset: Int64) -> String { LVBTime.format(now + offset, in: .chinaStandardTime) }

    static func channel(_ server: TestServer, id: String = "16093104850681751595") async throws -> LiveChannel {
        let channel = LiveChannel(id: id, name: "lobby", outputSourceType: 1, sourceName: "cam", streamId: "1000_\(id)", createdAt: now)
        try await server.store.insertChannel(channel)
        return channel
    }

    @Test func createDefaultsToTwoMinutesFromNowForADay() async throws {
        let server = TestServer()
        let channel = try await Self.channel(server)
        try await server.application.test(.router) { client in
            var signed = SignedClient(client, server)
            let reply = try await signed.call("CreateRecord", [("channelId", channel.id)])
            #expect(reply.code == 0 && reply["codeDesc"]?.stringValue == "Success")
            #expect(reply["task_id"]?.stringValue == "1")
            let task = try #require(try await server.store.task(id: 1))
            #expect(task.channelId == channel.id && task.status == .notStarted)
            #expect(task.startTime == Self.now + 120 && task.endTime == Self.now + 120 + 86_400)
            let second = try await signed.call("CreateRecord", [("channelId", channel.id)])
            #expect(second["task_id"]?.stringValue == "2")
        }
    }

    @Test(arguments: [("startTime", "endTime"), ("start_time", "end_time")])
    func createReadsTimesInTheAPIZoneUnderEitherName(names: (String, String)) async throws {
        let server = TestServer()
        let channel = try await Self.channel(server)
        try await server.application.test(.router) { client in
            var signed = SignedClient(client, server)
            let reply = try await signed.call(
                "CreateRecord", [("channelId", channel.id), (names.0, Self.local(600)), (names.1, Self.local(4_200))]
            )
            #expect(reply.code == 0)
            let task = try #require(try await server.store.task(id: 1))
            #expect(task.startTime == Self.now + 600 && task.endTime == Self.now + 4_200)
        }
    }

    @Test func createAcceptsISO8601AndStartsNowWithinTheGrace() async throws {
        let server = TestServer()
        let channel = try await Self.channel(server)
        try await server.application.test(.router) { client in
            var signed = SignedClient(client, server)
            // 2027-01-15T07:58:00Z is two minutes ago
            let reply = try await signed.call(
                "CreateRecord", [("channelId", channel.id), ("startTime", "2027-01-15T07:58:00Z"), ("endTime", "2027-01-15T09:00:00+00:00")]
            )
            #expect(reply.code == 0, "\(reply.message)")
            let task = try #require(try await server.store.task(id: 1))
            #expect(task.startTime == Self.now && task.endTime == Self.now + 3_600)
        }
    }

    struct BadCreate: Sendable, CustomTestStringConvertible {
        var parameters: [(String, String)]
        var code: Int64
        var mention: String
        var testDescription: String { mention }
    }

    static let badCreates: [BadCreate] = [
        BadCreate(parameters: [], code: 4000, mention: "channelId"),
        BadCreate(parameters: [("channelId", "12345")], code: 4000, mention: "(20301)"),
        BadCreate(parameters: [("channelId", "abc")], code: 4000, mention: "channelId"),
        BadCreate(parameters: [("channelId", "16093104850681751595"), ("startTime", "tomorrow")], code: 4000, mention: "(20323)startTime 'tomorrow' is not a date-time"),
        BadCreate(parameters: [("channelId", "16093104850681751595"), ("startTime", "2027-02-30 10:00:00")], code: 4000, mention: "(20323)"),
        BadCreate(parameters: [("channelId", "16093104850681751595"), ("endTime", "2027-01-15 16:00:61")], code: 4000, mention: "(20323)endTime"),
        BadCreate(parameters: [("channelId", "16093104850681751595"), ("startTime", local(-301))], code: 4000, mention: "(20323)startTime"),
        BadCreate(
            parameters: [("channelId", "16093104850681751595"), ("startTime", local(600)), ("endTime", local(600))], code: 4000,
            mention: "(20323)endTime"
        ),
        BadCreate(
            parameters: [("channelId", "16093104850681751595"), ("startTime", local(600)), ("endTime", local(300))], code: 4000,
            mention: "is not after the start"
        ),
        BadCreate(parameters: [("channelId", "16093104850681751595"), ("end_time", local(60))], code: 4000, mention: "(20323)"),
    ]

    @Test(arguments: badCreates)
    func createRefusesBadInputAndCreatesNothing(bad: BadCreate) async throws {
        let server = TestServer()
        let channel = try await Self.channel(server)
        try await server.application.test(.router) { client in
            var signed = SignedClient(client, server)
            let reply = try await signed.call("CreateRecord", bad.parameters)
            #expect(reply.code == bad.code)
            #expect(reply["codeDesc"]?.stringValue == "InvalidParameter")
            #expect(reply.message.contains(bad.mention), "\(reply.message)")
            #expect(try await server.store.tasks(channelId: channel.id, pageNo: 1, pageSize: 10).totalCount == 0)
        }
    }

    @Test func stopAndDeleteOfUnknownTasksAre20327() async throws {
        let server = TestServer()
        let channel = try await Self.channel(server)
        let other = try await Self.channel(server, id: "16093104850681751596")
        let task = await server.store.insertTask(RecordTask(channelId: other.id, startTime: 1, endTime: 2, createdAt: 0))
        try await server.application.test(.router) { client in
            var signed = SignedClient(client, server)
            for action in ["StopRecord", "DeleteRecord", "DescribeRecord"] {
                for id in ["99", String(task.id)] {  // unknown, and another channel's
                    let reply = try await signed.call(action, [("channelId", channel.id), ("taskId", id)])
                    #expect(reply.code == 4000)
                    #expect(reply.message.hasPrefix("(20327)"), "\(reply.message)")
                }
                let bad = try await signed.call(action, [("channelId", channel.id), ("taskId", "x")])
                #expect(bad.code == 4000 && bad.message.contains("taskId"))
                let missing = try await signed.call(action, [("channelId", channel.id)])
                #expect(missing.code == 4000 && missing.message.contains("taskId"))
            }
            #expect(try await server.store.task(id: task.id) == task)
        }
    }

    @Test func stopFinishesDeleteRemovesAndTheListShowsStatusAndCount() async throws {
        let server = TestServer()
        let channel = try await Self.channel(server)
        try await server.application.test(.router) { client in
            var signed = SignedClient(client, server)
            for _ in 0..<3 { _ = try await signed.call("CreateRecord", [("channelId", channel.id), ("startTime", Self.local(0))]) }
            _ = await server.store.updateTaskStatus(id: 2, from: [.notStarted], to: .running)
            try await server.store.insertFragment(Self.fragment(1, task: 2, channel: channel.id))
            try await server.store.insertFragment(Self.fragment(2, task: 2, channel: channel.id))

            #expect(try await signed.call("StopRecord", [("channelId", channel.id), ("taskId", "2")]).code == 0)
            #expect(try await server.store.task(id: 2)?.status == .finished)
            #expect(try await signed.call("DeleteRecord", [("channelId", channel.id), ("taskId", "3")]).code == 0)
            #expect(try await server.store.task(id: 3) == nil)

            let list = try await signed.call("DescribeRecordList", [("channelId", channel.id)])
            #expect(list.code == 0)
            #expect(list["totalCount"]?.intValue == 2)
            let set = try #require(list["taskSet"]?.arrayValue)
            #expect(set.map { $0["id"]?.stringValue } == ["1", "2"])
            #expect(set.map { $0["status"]?.intValue } == [0, 2])
            #expect(set.map { $0["count"]?.intValue } == [0, 2])
            #expect(set[0]["startTime"]?.stringValue == Self.local(0))
            #expect(set[0]["endTime"]?.stringValue == Self.local(86_400))
            let page2 = try await signed.call("DescribeRecordList", [("channelId", channel.id), ("pageNo", "2"), ("pageSize", "1")])
            #expect(page2["taskSet"]?.arrayValue?.map { $0["id"]?.stringValue } == ["2"])
            let unknown = try await signed.call("DescribeRecordList", [("channelId", "123")])
            #expect(unknown.code == 4000 && unknown.message.hasPrefix("(20301)"))
        }
    }

    static func fragment(_ n: Int, task: Int64, channel: String, startOffset: Int64 = 0) -> RecordFragment {
        let start = (now + startOffset + Int64(n) * 10) * 1000
        return RecordFragment(
            fileId: "1609310485068175\(1000 + n)", vid: "1000_\(String(repeating: "a", count: 31))\(n)", taskId: task,
            channelId: channel, startTime: start, endTime: start + 9_960, duration: 9_960, size: 100_000 + Int64(n),
            path: "fragments/\(channel)/x.flv"
        )
    }

    @Test func describeRecordListsATasksFragmentsWithPlayURLs() async throws {
        let server = TestServer { $0.publicHost = "vod.example.com"; $0.httpPort = 8088 }
        let channel = try await Self.channel(server)
        let task = await server.store.insertTask(RecordTask(channelId: channel.id, startTime: Self.now, endTime: Self.now + 60, createdAt: Self.now))
        for n in 1...3 { try await server.store.insertFragment(Self.fragment(n, task: task.id, channel: channel.id)) }
        try await server.application.test(.router) { client in
            var signed = SignedClient(client, server)
            let reply = try await signed.call("DescribeRecord", [("channelId", channel.id), ("taskId", "1"), ("pageSize", "2")])
            #expect(reply.code == 0)
            #expect(reply["totalCount"]?.intValue == 3)
            let files = try #require(reply["fileSet"]?.arrayValue)
            #expect(files.count == 2)
            let first = files[0]
            let fragment = Self.fragment(1, task: task.id, channel: channel.id)
            #expect(first["fileId"]?.stringValue == fragment.fileId)
            #expect(first["vid"]?.stringValue == fragment.vid)
            #expect(first["startTime"]?.stringValue == Self.local(10))
            #expect(first["endTime"]?.stringValue == Self.local(20))
            #expect(first["duration"] == .double(9.96))
            #expect(first["size"]?.intValue == 100_001)
            #expect(first["fileName"]?.stringValue == "直播 -lobby-20270115-1600-20270115-1600")
            #expect(first["playUrl"]?.stringValue == "http://vod.example.com:8088/\(fragment.vid).f0.flv")
            let page2 = try await signed.call("DescribeRecord", [("channelId", channel.id), ("taskId", "1"), ("pageNo", "2"), ("pageSize", "2")])
            #expect(page2["fileSet"]?.arrayValue?.map { $0["fileId"]?.stringValue } == [Self.fragment(3, task: 1, channel: channel.id).fileId])
        }
    }

    @Test func getVodRecordFilesListsAChannelsFragmentsInATimeRange() async throws {
        let server = TestServer { $0.vodBaseURL = "https://cdn.example.com/vod/" }
        let channel = try await Self.channel(server)
        let other = try await Self.channel(server, id: "16093104850681751596")
        for n in 1...5 { try await server.store.insertFragment(Self.fragment(n, task: 7, channel: channel.id)) }
        try await server.store.insertFragment(Self.fragment(9, task: 8, channel: other.id))
        try await server.application.test(.router) { client in
            var signed = SignedClient(client, server)
            // Fragments start at now+10, +20, … +50: the range [now+20, now+40) holds two
            let reply = try await signed.call(
                "GetVodRecordFiles",
                [("channelId", channel.id), ("startTime", Self.local(20)), ("endTime", Self.local(40)), ("pageSize", "1"), ("pageNum", "2")]
            )
            #expect(reply.code == 0, "\(reply.message)")
            #expect(reply["totalCount"]?.intValue == 2 && reply["total_count"]?.intValue == 2)
            let files = try #require(reply["filesInfo"]?.arrayValue)
            let expected = Self.fragment(3, task: 7, channel: channel.id)
            #expect(files.map { $0["fileId"]?.stringValue } == [expected.fileId])
            #expect(files[0]["taskId"]?.stringValue == "7")
            #expect(files[0]["reportMessage"] == .null)
            #expect(files[0]["playUrl"]?.stringValue == "https://cdn.example.com/vod/\(expected.vid).f0.flv")
            let open = try await signed.call("GetVodRecordFiles", [("channelId", channel.id), ("startTime", Self.local(0))])
            #expect(open["total_count"]?.intValue == 5 && open["filesInfo"]?.arrayValue?.count == 5)
            let missing = try await signed.call("GetVodRecordFiles", [("channelId", channel.id)])
            #expect(missing.code == 4000 && missing.message.contains("startTime"))
            let bad = try await signed.call("GetVodRecordFiles", [("channelId", channel.id), ("startTime", "soon")])
            #expect(bad.code == 4000 && bad.message.hasPrefix("(20323)"))
        }
    }
}

@Suite struct RecordingSettingsTests {
    @Test func maxFragmentDurationAndVodBaseURLResolveFromFlagsEnvironmentAndFile() throws {
        let defaults = try ReelConfiguration.resolve(flags: [:], environment: [:], configFile: nil)
        #expect(defaults.maxFragmentDuration == 1800 && defaults.vodBaseURL == nil)
        let resolved = try ReelConfiguration.resolve(
            flags: ["max-fragment-duration": "10"], environment: ["REEL_VOD_BASE_URL": "https://cdn.example.com"],
            configFile: "max-fragment-duration = 20\n"
        )
        #expect(resolved.maxFragmentDuration == 10 && resolved.vodBaseURL == "https://cdn.example.com")
        for (name, value) in [("max-fragment-duration", "0"), ("max-fragment-duration", "ten"), ("vod-base-url", "ftp://x")] {
            #expect(throws: ReelConfiguration.InvalidSetting.self) {
                try ReelConfiguration.resolve(flags: [name: value], environment: [:], configFile: nil)
            }
        }
    }
}
