import LVB
import Store

extension RecordingStore {
    /// The channel named by the request's `channelId`.
    /// - Throws: ``LVBError`` 4000 when `channelId` is missing or malformed, 4000 (20301) when
    ///   no channel has it.
    func existingChannel(named parameters: LVBParameters) async throws -> LiveChannel {
        let id = try parameters.required("channelId")
        try ChannelActions.validateChannelId(id, parameter: "channelId")
        guard let channel = try await channel(id: id) else { throw LVBError.channelDoesNotExist(id) }
        return channel
    }
}

/// The channel actions of spec §7: CreateLVBChannel, DescribeLVBChannelList, DescribeLVBChannel,
/// ModifyLVBChannel, StartLVBChannel, StopLVBChannel, DeleteLVBChannel, DescribeLVBOnlineUsers.
public struct ChannelActions: Sendable {
    /// What the actions need to build addresses and ids.
    public struct Settings: Sendable {
        /// The host put into returned addresses; `nil` uses the host the client called.
        public var publicHost: String?
        /// Where the servers listen (read for every answer, so a port picked at bind time shows).
        public var ports: ListeningPorts
        public var rtmpPort: Int { ports.rtmp }
        public var httpPort: Int { ports.http }
        /// The number before `_` in stream ids (`<bizId>_<32 hex>`).
        public var bizId: String
        /// The key of the push auth query (spec §8).
        public var pushKey: String
        /// How long a returned push address stays valid, in seconds.
        public var pushAuthLifetime: Int64
        /// The zone of `create_time`.
        public var timeZone: LVBTimeZone

        public init(
            publicHost: String? = nil, ports: ListeningPorts = ListeningPorts(http: 8080, rtmp: 1935), bizId: String = "1000",
            pushKey: String, pushAuthLifetime: Int64 = 365 * 86_400, timeZone: LVBTimeZone = .chinaStandardTime
        ) {
            self.publicHost = publicHost
            self.ports = ports
            self.bizId = bizId
            self.pushKey = pushKey
            self.pushAuthLifetime = pushAuthLifetime
            self.timeZone = timeZone
        }
    }

    public let store: any RecordingStore
    public let settings: Settings
    public let publishers: (any LivePublisherControl)?

    public init(store: any RecordingStore, settings: Settings, publishers: (any LivePublisherControl)? = nil) {
        self.store = store
        self.settings = settings
        self.publishers = publishers
    }

    /// The handlers by action name.
    public var handlers: [String: LVBActionHandler] {
        [
            "CreateLVBChannel": create,
            "DescribeLVBChannelList": describeList,
            "DescribeLVBChannel": describe,
            "ModifyLVBChannel": modify,
            "StartLVBChannel": start,
            "StopLVBChannel": stop,
            "DeleteLVBChannel": delete,
            "DescribeLVBOnlineUsers": onlineUsers,
        ]
    }

    // MARK: Actions

    @Sendable func create(_ request: LVBActionRequest) async throws -> LVBFields {
        let p = request.parameters
        let name = try Self.channelName(p.required("channelName"))
        let describe = p["channelDescribe"]
        guard let outputSourceType = try p.integer("outputSourceType", in: 1...3) else {
            throw LVBError.missingParameter("outputSourceType")
        }
        let sources = p.objects("sourceList")
        guard let source = sources.first else { throw LVBError.missingParameter("sourceList.N.name") }
        guard sources.count == 1 else {
            throw LVBError.invalidParameter("sourceList", "a channel has exactly one source, \(sources.count) were given")
        }
        guard let sourceName = source["name"], !sourceName.isEmpty else { throw LVBError.missingParameter("sourceList.N.name") }
        guard let sourceTypeText = source["type"], !sourceTypeText.isEmpty else {
            throw LVBError.missingParameter("sourceList.N.type")
        }
        guard sourceTypeText == "1" else {
            throw LVBError(
                .invalidParameter, .badSourceProtocol,
                "sourceList.N.type '\(sourceTypeText)' is not supported: Reel ingests RTMP push sources (type 1)"
            )
        }
        let rates = try Self.outputRates(p)
        let watermarkId = try p.integer("watermarkId", in: 0...Int(Int32.max))
        var channel = LiveChannel(
            id: "", name: name, describe: describe, outputSourceType: outputSourceType,
            playerPassword: p["playerPassword"], sourceName: sourceName, sourceType: 1, streamId: "",
            outputRates: rates, watermarkId: watermarkId, status: .noInput, createdAt: request.now
        )
        var attempts = 0
        while true {
            channel.id = String(UInt64.random(in: 10_000_000_000_000_000_000...UInt64.max))
            channel.streamId = settings.bizId + "_" + Self.hex32()
            do {
                try await store.insertChannel(channel)
                break
            } catch let error as StoreError where error.code == .conflict && attempts < 3 {
                attempts += 1
            }
        }
        let host = address(request)
        return [
            ("channel_id", .string(channel.id)),
            (
                "channelInfo",
                .object([
                    ("upstream_address", .string(upstreamAddress(channel, host: host, now: request.now))),
                    ("downstream_address", .array(downstreamAddresses(channel, host: host))),
                ])
            ),
        ]
    }

    @Sendable func describeList(_ request: LVBActionRequest) async throws -> LVBFields {
        let p = request.parameters
        let statusFilter = try p.integer("channelStatus", in: 0...4)
        let ascending = try (p.integer("ascDesc", in: 0...1) ?? 0) == 0
        let pageNo = try p.integer("pageNo", in: 1...1_000_000) ?? 1
        let pageSize = try p.integer("pageSize", in: 1...100) ?? 10
        if let orderBy = p["orderBy"], !orderBy.isEmpty, !["create_time", "createTime"].contains(orderBy) {
            throw LVBError.invalidParameter("orderBy", "'\(orderBy)' is not supported; channels are ordered by create_time")
        }
        // Status 4 ("configuration incomplete") never applies: a channel is complete once created.
        let page =
            statusFilter == 4
            ? ChannelPage(totalCount: 0, channels: [])
            : try await store.channels(
                ChannelQuery(
                    status: statusFilter.flatMap(ChannelStatus.init(rawValue:)), ascending: ascending, pageNo: pageNo,
                    pageSize: pageSize
                )
            )
        return [
            ("all_count", .string(String(page.totalCount))),
            (
                "channelSet",
                .array(
                    page.channels.map { channel in
                        .object([
                            ("channel_id", .string(channel.id)),
                            ("channel_name", .string(channel.name)),
                            ("channel_status", .string(String(channel.status.rawValue))),
                            ("create_time", .string(LVBTime.format(channel.createdAt, in: settings.timeZone))),
                        ])
                    }
                )
            ),
        ]
    }

    @Sendable func describe(_ request: LVBActionRequest) async throws -> LVBFields {
        let channel = try await existingChannel(request.parameters)
        let host = address(request)
        let original = channel.streamId
        return [
            (
                "channelInfo",
                .array([
                    .object([
                        ("channel_id", .string(channel.id)),
                        ("channel_name", .string(channel.name)),
                        ("channel_describe", channel.describe.map(LVBJSON.string) ?? .null),
                        ("channel_status", .string(String(channel.status.rawValue))),
                        (
                            "upstream_list",
                            .array([
                                .object([
                                    ("sourceName", .string(channel.sourceName)),
                                    ("sourceID", .string(channel.streamId)),
                                    ("sourceType", .string(String(channel.sourceType))),
                                    ("sourceAddress", .string(upstreamAddress(channel, host: host, now: request.now))),
                                ])
                            ])
                        ),
                        ("rtmp_downstream_address", .string(rtmpPlayAddress(original, host: host))),
                        ("flv_downstream_address", .string(flvPlayAddress(original, host: host))),
                        ("hls_downstream_address", .string(hlsPlayAddress(original, host: host))),
                        ("player_id", .string("")),
                        ("resolution", .null),
                        ("password", channel.playerPassword.map(LVBJSON.string) ?? .null),
                    ])
                ])
            )
        ]
    }

    @Sendable func modify(_ request: LVBActionRequest) async throws -> LVBFields {
        let p = request.parameters
        var channel = try await existingChannel(p)
        channel.name = try Self.channelName(p.required("channelName"))
        if let describe = p["channelDescribe"] { channel.describe = describe }
        if let outputSourceType = try p.integer("outputSourceType", in: 1...3) { channel.outputSourceType = outputSourceType }
        if !p.list("outputRate").isEmpty { channel.outputRates = try Self.outputRates(p) }
        if let watermarkId = try p.integer("watermarkId", in: 0...Int(Int32.max)) { channel.watermarkId = watermarkId }
        if let password = p["playerPassword"] { channel.playerPassword = password.isEmpty ? nil : password }
        try await store.updateChannel(channel)
        return []
    }

    @Sendable func start(_ request: LVBActionRequest) async throws -> LVBFields {
        let ids = try Self.channelIds(request.parameters)
        let channels = try await existingChannels(ids)
        // Only closed channels change: a live or idle channel is already started.
        let closed = channels.filter { $0.status == .closed }.map(\.id)
        if !closed.isEmpty { try await mapStoreErrors { try await store.setChannelStatus(.noInput, ids: closed) } }
        return []
    }

    @Sendable func stop(_ request: LVBActionRequest) async throws -> LVBFields {
        let ids = try Self.channelIds(request.parameters)
        let channels = try await existingChannels(ids)
        try await mapStoreErrors { try await store.setChannelStatus(.closed, ids: ids) }
        await publishers?.disconnectPublishers(streamIds: channels.map(\.streamId))
        return []
    }

    @Sendable func delete(_ request: LVBActionRequest) async throws -> LVBFields {
        let ids = try Self.channelIds(request.parameters)
        let channels = try await existingChannels(ids)
        try await mapStoreErrors { try await store.deleteChannels(ids: ids) }
        await publishers?.disconnectPublishers(streamIds: channels.map(\.streamId))
        return []
    }

    @Sendable func onlineUsers(_ request: LVBActionRequest) async throws -> LVBFields {
        // Reel does not serve live playback yet, so no viewer is ever connected.
        let ids = request.parameters.list("channelIds")
        for id in ids { try Self.validateChannelId(id, parameter: "channelIds.N") }
        _ = try await existingChannels(ids)
        let entries = ids.isEmpty ? ["-1"] : ids
        return [
            ("list", .array(entries.map { .object([("channelId", .string($0)), ("online", .int(0))]) }))
        ]
    }

    // MARK: Helpers

    private func address(_ request: LVBActionRequest) -> String {
        request.addressHost(publicHost: settings.publicHost)
    }

    func upstreamAddress(_ channel: LiveChannel, host: String, now: Int64) -> String {
        let query = LVBPushAuth.query(key: settings.pushKey, streamId: channel.streamId, expiry: now + settings.pushAuthLifetime)
        return "rtmp://\(host):\(settings.rtmpPort)/live/\(channel.streamId)?\(query)"
    }

    private func rtmpPlayAddress(_ stream: String, host: String) -> String {
        "rtmp://\(host):\(settings.rtmpPort)/live/\(stream)"
    }

    private func flvPlayAddress(_ stream: String, host: String) -> String {
        "http://\(host):\(settings.httpPort)/live/\(stream).flv"
    }

    private func hlsPlayAddress(_ stream: String, host: String) -> String {
        "http://\(host):\(settings.httpPort)/live/\(stream).m3u8"
    }

    private func downstreamAddresses(_ channel: LiveChannel, host: String) -> [LVBJSON] {
        channel.outputRates.map { rate in
            let stream = rate == 0 ? channel.streamId : "\(channel.streamId)_\(rate == 10 ? 550 : 900)"
            return .object([
                ("rate_type", .int(Int64(rate))),
                ("rtmp_downstream_address", .string(rtmpPlayAddress(stream, host: host))),
                ("flv_downstream_address", .string(flvPlayAddress(stream, host: host))),
                ("hls_downstream_address", .string(hlsPlayAddress(stream, host: host))),
            ])
        }
    }

    private func existingChannel(_ p: LVBParameters) async throws -> LiveChannel {
        try await store.existingChannel(named: p)
    }

    private func existingChannels(_ ids: [String]) async throws -> [LiveChannel] {
        var channels: [LiveChannel] = []
        for id in ids {
            guard let channel = try await store.channel(id: id) else { throw LVBError.channelDoesNotExist(id) }
            channels.append(channel)
        }
        return channels
    }

    private func mapStoreErrors(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as StoreError where error.code == .notFound {
            throw LVBError.channelDoesNotExist(error.ids.first ?? "")
        }
    }

    static func validateChannelId(_ id: String, parameter: String) throws(LVBError) {
        guard !id.isEmpty, id.count <= 20, id.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw LVBError.invalidParameter(parameter, "'\(id.prefix(64))' is not a channel id (up to 20 decimal digits)")
        }
    }

    static func channelIds(_ p: LVBParameters) throws(LVBError) -> [String] {
        let ids = p.list("channelIds")
        guard !ids.isEmpty else { throw LVBError.missingParameter("channelIds.N") }
        guard ids.count <= 100 else { throw LVBError.invalidParameter("channelIds", "at most 100 channels per request") }
        for id in ids { try validateChannelId(id, parameter: "channelIds.N") }
        var seen: Set<String> = []
        return ids.filter { seen.insert($0).inserted }
    }

    static func channelName(_ name: String) throws(LVBError) -> String {
        guard name.count <= 128 else { throw LVBError.invalidParameter("channelName", "longer than 128 characters") }
        return name
    }

    static func outputRates(_ p: LVBParameters) throws(LVBError) -> [Int] {
        let texts = p.list("outputRate")
        guard !texts.isEmpty else { return [0] }
        var rates: [Int] = []
        for text in texts {
            guard let rate = Int(text), [0, 10, 20].contains(rate) else {
                throw LVBError.invalidParameter("outputRate", "'\(text)' is not 0, 10 or 20")
            }
            if !rates.contains(rate) { rates.append(rate) }
        }
        guard rates.contains(0) else { throw LVBError.invalidParameter("outputRate", "must include 0 (the original stream)") }
        return rates
    }

    static func hex32() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined()
    }
}
