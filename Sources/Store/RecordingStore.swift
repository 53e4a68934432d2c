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
    /// publisher ending cannot overwrite a concurrent StopLVBChannel).
    /// - Returns: whether the status changed; `false` when it differed or the channel is gone.
    func updateChannelStatus(id: String, from expected: ChannelStatus, to new: ChannelStatus) async throws -> Bool

    /// Deletes every channel in `ids`, or none.
    /// - Throws: ``StoreError`` `.notFound` naming the missing ids.
    func deleteChannels(ids: [String]) async throws
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
