/// A ``RecordingStore`` that keeps everything in memory, for tests.
public actor InMemoryRecordingStore: RecordingStore {
    private var channelsById: [String: LiveChannel] = [:]
    private var tasksById: [Int64: RecordTask] = [:]
    private var lastTaskId: Int64 = 0
    private var fragmentsByVid: [String: RecordFragment] = [:]
    private var outbox: [Int64: OutboxEvent] = [:]
    private var lastSequence: Int64 = 0

    public init() {}

    public func insertChannel(_ channel: LiveChannel) throws {
        guard channelsById[channel.id] == nil,
            !channelsById.values.contains(where: { $0.streamId == channel.streamId })
        else { throw StoreError(.conflict, ids: [channel.id]) }
        channelsById[channel.id] = channel
    }

    public func channel(id: String) -> LiveChannel? { channelsById[id] }

    public func channels(ids: Set<String>) -> [String: LiveChannel] {
        channelsById.filter { ids.contains($0.key) }
    }

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

    public func updateChannelStatus(
        id: String, from expected: ChannelStatus, to new: ChannelStatus, events: [OutboxEvent]
    ) throws -> Bool {
        guard channelsById[id]?.status == expected else { return false }
        try enqueueEvents(events)
        channelsById[id]?.status = new
        return true
    }

    public func deleteChannels(ids: [String]) throws {
        try requireAll(ids)
        for id in ids { channelsById[id] = nil }
    }

    public func insertTask(_ task: RecordTask) -> RecordTask {
        lastTaskId += 1
        var task = task
        task.id = lastTaskId
        tasksById[task.id] = task
        return task
    }

    public func task(id: Int64) -> RecordTask? { tasksById[id] }

    public func tasks(channelId: String, pageNo: Int, pageSize: Int) -> RecordTaskPage {
        let matching = tasksById.values.filter { $0.channelId == channelId }.sorted { $0.id < $1.id }
        let start = max(0, (pageNo - 1) * pageSize)
        let page = start < matching.count ? Array(matching[start..<min(matching.count, start + pageSize)]) : []
        return RecordTaskPage(
            totalCount: matching.count,
            tasks: page.map { task in
                RecordTaskSummary(task: task, fragmentCount: fragmentsByVid.values.count { $0.taskId == task.id })
            }
        )
    }

    public func tasks(statuses: Set<RecordTaskStatus>) -> [RecordTask] {
        tasksById.values.filter { statuses.contains($0.status) }.sorted { $0.id < $1.id }
    }

    public func updateTaskStatus(id: Int64, from expected: Set<RecordTaskStatus>, to new: RecordTaskStatus) -> Bool {
        guard let task = tasksById[id], expected.contains(task.status) else { return false }
        tasksById[id]?.status = new
        return true
    }

    public func deleteTask(id: Int64) throws {
        guard tasksById.removeValue(forKey: id) != nil else { throw StoreError(.notFound, ids: [String(id)]) }
    }

    public func insertFragment(_ fragment: RecordFragment, events: [OutboxEvent]) throws {
        guard fragmentsByVid[fragment.vid] == nil, !fragmentsByVid.values.contains(where: { $0.fileId == fragment.fileId })
        else { throw StoreError(.conflict, ids: [fragment.vid]) }
        try enqueueEvents(events)
        fragmentsByVid[fragment.vid] = fragment
    }

    public func fragments(_ query: FragmentQuery) -> FragmentPage {
        let matching = fragmentsByVid.values.filter(query.matches).sorted { ($0.startTime, $0.fileId) < ($1.startTime, $1.fileId) }
        let start = max(0, (query.pageNo - 1) * query.pageSize)
        let page = start < matching.count ? Array(matching[start..<min(matching.count, start + query.pageSize)]) : []
        return FragmentPage(totalCount: matching.count, fragments: page)
    }

    public func fragment(vid: String) -> RecordFragment? { fragmentsByVid[vid] }

    public func fragments(afterVid vid: String?, limit: Int) -> [RecordFragment] {
        Array(fragmentsByVid.values.filter { vid == nil || $0.vid > vid! }.sorted { $0.vid < $1.vid }.prefix(limit))
    }

    public func registeredVids(_ vids: [String]) -> Set<String> {
        Set(vids.filter { fragmentsByVid[$0] != nil })
    }

    public func deleteFragment(vid: String) throws {
        guard fragmentsByVid.removeValue(forKey: vid) != nil else { throw StoreError(.notFound, ids: [vid]) }
    }

    public func enqueueEvents(_ events: [OutboxEvent]) throws {
        let taken = Set(outbox.values.map(\.eventId))
        guard events.allSatisfy({ !taken.contains($0.eventId) }), Set(events.map(\.eventId)).count == events.count else {
            throw StoreError(.conflict, ids: events.map(\.eventId))
        }
        for var event in events {
            lastSequence += 1
            event.sequence = lastSequence
            outbox[lastSequence] = event
        }
    }

    public func queuedEvents(limit: Int) -> [OutboxEvent] {
        Array(outbox.values.sorted { $0.sequence < $1.sequence }.prefix(limit))
    }

    public func deleteEvent(sequence: Int64) { outbox[sequence] = nil }

    public func rescheduleEvent(sequence: Int64, attempts: Int, nextAttemptAt: Int64, lastError: String) {
        outbox[sequence]?.attempts = attempts
        outbox[sequence]?.nextAttemptAt = nextAttemptAt
        outbox[sequence]?.lastError = String(lastError.prefix(1000))
    }

    public func queuedEventCount() -> Int { outbox.count }

    private func requireAll(_ ids: [String]) throws {
        let missing = ids.filter { channelsById[$0] == nil }
        guard missing.isEmpty else { throw StoreError(.notFound, ids: missing) }
    }
}
