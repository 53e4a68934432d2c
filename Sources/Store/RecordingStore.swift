/// Lets the channel actions reach live publishers: StopLVBChannel and DeleteLVBChannel end a
/// live push (implemented by the RTMP channel hub).
public protocol LivePublisherControl: Sendable {
    /// Disconnects any publisher pushing to these streams.
    func disconnectPublishers(streamIds: [String]) async
}

/// Where everything that must survive a restart lives: channels now, and recording tasks,
/// fragments and the event outbox as they are added.
///
/// Batch changes are atomic: they apply to every named row or, when one is missing, to none.
public protocol RecordingStore: Sendable {
    /// Adds a channel.
    /// - Throws: ``StoreError`` `.conflict` when the id or stream id is taken.
    func insertChannel(_ channel: LiveChannel) async throws

    func channel(id: String) async throws -> LiveChannel?

    /// The channels with these ids that exist, by id: one read for many channels.
    func channels(ids: Set<String>) async throws -> [String: LiveChannel]

    func channel(streamId: String) async throws -> LiveChannel?

    /// A page of channels ordered by creation time (then id), and the count of all matches.
    func channels(_ query: ChannelQuery) async throws -> ChannelPage

    /// Replaces a channel's stored fields.
    /// - Throws: ``StoreError`` `.notFound` when it does not exist.
    func updateChannel(_ channel: LiveChannel) async throws

    /// Sets the status of every channel in `ids`, or of none.
    /// - Throws: ``StoreError`` `.notFound` naming the missing ids.
    func setChannelStatus(_ status: ChannelStatus, ids: [String]) async throws

    /// Sets one channel's status to `new` if it is `expected` now (a compare-and-set, so a
    /// publisher ending cannot overwrite a concurrent StopLVBChannel), and queues `events` in
    /// the outbox in the same transaction, only when the status changed.
    /// - Returns: whether the status changed; `false` when it differed or the channel is gone.
    func updateChannelStatus(
        id: String, from expected: ChannelStatus, to new: ChannelStatus, events: [OutboxEvent]
    ) async throws -> Bool

    /// Deletes every channel in `ids`, or none.
    /// - Throws: ``StoreError`` `.notFound` naming the missing ids.
    func deleteChannels(ids: [String]) async throws

    // MARK: Recording tasks and fragments

    /// Adds a recording task; the store assigns its id (the next integer from 1).
    /// - Returns: the task with its id.
    func insertTask(_ task: RecordTask) async throws -> RecordTask

    func task(id: Int64) async throws -> RecordTask?

    /// A page of a channel's tasks, oldest first, each with its fragment count, and the count
    /// of all the channel's tasks.
    func tasks(channelId: String, pageNo: Int, pageSize: Int) async throws -> RecordTaskPage

    /// Every task whose status is one of `statuses`, by id (the scheduler's work list).
    func tasks(statuses: Set<RecordTaskStatus>) async throws -> [RecordTask]

    /// Sets a task's status to `new` if it is one of `expected` now (a compare-and-set).
    /// - Returns: whether it changed; `false` when the status differed or the task is gone.
    func updateTaskStatus(id: Int64, from expected: Set<RecordTaskStatus>, to new: RecordTaskStatus) async throws -> Bool

    /// Deletes a task; its fragments stay in the VOD library.
    /// - Throws: ``StoreError`` `.notFound` when it does not exist.
    func deleteTask(id: Int64) async throws

    /// Registers a finished fragment and queues `events` in the outbox, in one transaction.
    /// - Throws: ``StoreError`` `.conflict` when its vid or file id is taken (nothing is queued).
    func insertFragment(_ fragment: RecordFragment, events: [OutboxEvent]) async throws

    /// A page of fragments, ordered by start time (then file id), and the count of all matches.
    func fragments(_ query: FragmentQuery) async throws -> FragmentPage

    func fragment(vid: String) async throws -> RecordFragment?

    // MARK: Library reconciliation

    /// Fragments in vid order, starting after `vid` (from the first when `nil`), at most `limit`.
    func fragments(afterVid vid: String?, limit: Int) async throws -> [RecordFragment]

    /// The vids among `vids` that are registered.
    func registeredVids(_ vids: [String]) async throws -> Set<String>

    /// Removes a fragment's row (its file is gone for good).
    /// - Throws: ``StoreError`` `.notFound` when it does not exist.
    func deleteFragment(vid: String) async throws

    // MARK: Event outbox

    /// Queues events; the store assigns each its ``OutboxEvent/sequence``.
    func enqueueEvents(_ events: [OutboxEvent]) async throws

    /// The oldest queued events, in ``OutboxEvent/sequence`` order, at most `limit`.
    func queuedEvents(limit: Int) async throws -> [OutboxEvent]

    /// Removes a delivered event.
    func deleteEvent(sequence: Int64) async throws

    /// Records a failed delivery: the attempt count, when to try again and why it failed.
    func rescheduleEvent(sequence: Int64, attempts: Int, nextAttemptAt: Int64, lastError: String) async throws

    /// The number of queued events.
    func queuedEventCount() async throws -> Int
}

extension RecordingStore {
    /// Sets one channel's status to `new` if it is `expected` now; queues no event.
    public func updateChannelStatus(id: String, from expected: ChannelStatus, to new: ChannelStatus) async throws -> Bool {
        try await updateChannelStatus(id: id, from: expected, to: new, events: [])
    }

    /// Registers a finished fragment; queues no event.
    public func insertFragment(_ fragment: RecordFragment) async throws {
        try await insertFragment(fragment, events: [])
    }
}

/// A store operation that could not be done.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        private enum Base: Hashable, Sendable {
            case notFound
            case conflict
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A named row does not exist.
        public static let notFound = Code(.notFound)
        /// A unique key is already taken.
        public static let conflict = Code(.conflict)
    }

    public var code: Code
    /// The ids concerned.
    public var ids: [String]

    public init(_ code: Code, ids: [String]) {
        self.code = code
        self.ids = ids
    }

    public var description: String {
        code == .notFound ? "not found: \(ids.joined(separator: ", "))" : "already exists: \(ids.joined(separator: ", "))"
    }
}
