/// A ``RecordingStore`` that keeps everything in memory, for tests.
public actor InMemoryRecordingStore: RecordingStore {
    private var channelsById: [String: LiveChannel] = [:]

    public init() {}

    public func insertChannel(_ channel: LiveChannel) throws {
        guard channelsById[channel.id] == nil,
            !channelsById.values.contains(where: { $0.streamId == channel.streamId })
        else { throw StoreError(.conflict, ids: [channel.id]) }
        channelsById[channel.id] = channel
    }

    public func channel(id: String) -> LiveChannel? { channelsById[id] }

    public func channel(streamId: String) -> LiveChannel? {
        channelsById.values.first { $0.streamId == streamId }
    }

    public func channels(_ query: ChannelQuery) -> ChannelPage {
        let matching = channelsById.values.filter { query.status == nil || $0.status == query.status }
            .sorted { a, b in
                let ordered = (a.createdAt, a.id) < (b.createdAt, b.id)
                return query.ascending ? ordered : !ordered
            }
        let start = max(0, (query.pageNo - 1) * query.pageSize)
        let page = start < matching.count ? Array(matching[start..<min(matching.count, start + query.pageSize)]) : []
        return ChannelPage(totalCount: matching.count, channels: page)
    }

    public func updateChannel(_ channel: LiveChannel) throws {
        guard channelsById[channel.id] != nil else { throw StoreError(.notFound, ids: [channel.id]) }
        channelsById[channel.id] = channel
    }

    public func setChannelStatus(_ status: ChannelStatus, ids: [String]) throws {
        try requireAll(ids)
        for id in ids { channelsById[id]?.status = status }
    }

    public func updateChannelStatus(id: String, from expected: ChannelStatus, to new: ChannelStatus) -> Bool {
        guard channelsById[id]?.status == expected else { return false }
        channelsById[id]?.status = new
        return true
    }

    public func deleteChannels(ids: [String]) throws {
        try requireAll(ids)
        for id in ids { channelsById[id] = nil }
    }

    private func requireAll(_ ids: [String]) throws {
        let missing = ids.filter { channelsById[$0] == nil }
        guard missing.isEmpty else { throw StoreError(.notFound, ids: missing) }
    }
}
