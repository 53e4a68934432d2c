import Foundation
import Testing

@testable import Store

/// The same contract, run against every ``RecordingStore``.
@Suite struct RecordingStoreTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case inMemory, sqlite
        var testDescription: String { rawValue }
    }

    /// A fresh store of `kind`; for SQLite, in a new temporary folder.
    static func makeStore(_ kind: Kind) throws -> (any RecordingStore, path: String?) {
        switch kind {
        case .inMemory:
            return (InMemoryRecordingStore(), nil)
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reel-store-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let path = folder.appendingPathComponent("reel.sqlite").path
            return (try SQLiteRecordingStore(path: path), path)
        }
    }

    static func channel(_ n: Int, status: ChannelStatus = .noInput) -> LiveChannel {
        LiveChannel(
            id: String(10_000_000_000_000_000_000 as UInt64 + UInt64(n)), name: "channel \(n)", describe: n % 2 == 0 ? "d\(n)" : nil,
            outputSourceType: 1 + n % 3, playerPassword: nil, sourceName: "cam", streamId: "1000_\(n)",
            outputRates: n % 2 == 0 ? [0] : [0, 10, 20], watermarkId: n % 2 == 0 ? nil : n, status: status,
            createdAt: 1_700_000_000 + Int64(n)
        )
    }

    @Test(arguments: Kind.allCases)
    func insertAndReadBackByIdAndStreamId(kind: Kind) async throws {
        let (store, _) = try Self.makeStore(kind)
        let channel = Self.channel(1)
        try await store.insertChannel(channel)
        #expect(try await store.channel(id: channel.id) == channel)
        #expect(try await store.channel(streamId: "1000_1") == channel)
        #expect(try await store.channel(id: "1") == nil)
        #expect(try await store.channel(streamId: "1000_2") == nil)
    }

    @Test(arguments: Kind.allCases)
    func manyChannelsAreReadByIdAtOnce(kind: Kind) async throws {
        let (store, _) = try Self.makeStore(kind)
        let channels = (1...1_200).map { Self.channel($0) }
        for channel in channels { try await store.insertChannel(channel) }
        // More ids than one SQL batch, a few that do not exist, and none.
        let asked = Set(channels.filter { $0.createdAt % 3 != 0 }.map(\.id) + ["1", "2"])
        let found = try await store.channels(ids: asked)
        #expect(found == Dictionary(uniqueKeysWithValues: channels.filter { asked.contains($0.id) }.map { ($0.id, $0) }))
        #expect(found.count == 800)
        #expect(try await store.channels(ids: []).isEmpty)
    }

    @Test(arguments: Kind.allCases)
    func duplicateIdOrStreamIdIsAConflictAndChangesNothing(kind: Kind) async throws {
        let (store, _) = try Self.makeStore(kind)
        try await store.insertChannel(Self.channel(1))
        var sameId = Self.channel(2)
        sameId.id = Self.channel(1).id
        var sameStream = Self.channel(3)
        sameStream.streamId = "1000_1"
        for duplicate in [sameId, sameStream] {
            await #expect(throws: StoreError(.conflict, ids: [duplicate.id])) { try await store.insertChannel(duplicate) }
        }
        #expect(try await store.channels(ChannelQuery(pageSize: 100)).channels == [Self.channel(1)])
    }

    @Test(arguments: Kind.allCases)
    func pagingFilteringAndOrder(kind: Kind) async throws {
        let (store, _) = try Self.makeStore(kind)
        for n in (1...25).shuffled() { try await store.insertChannel(Self.channel(n, status: n % 5 == 0 ? .closed : .noInput)) }
        let first = try await store.channels(ChannelQuery(pageNo: 1, pageSize: 10))
        #expect(first.totalCount == 25)
        #expect(first.channels.map(\.name) == (1...10).map { "channel \($0)" })
        let last = try await store.channels(ChannelQuery(ascending: false, pageNo: 3, pageSize: 10))
        #expect(last.channels.map(\.name) == (1...5).reversed().map { "channel \($0)" })
        let closed = try await store.channels(ChannelQuery(status: .closed, pageSize: 100))
        #expect(closed.totalCount == 5)
        #expect(closed.channels.map(\.name) == [5, 10, 15, 20, 25].map { "channel \($0)" })
        #expect(try await store.channels(ChannelQuery(pageNo: 4, pageSize: 10)).channels.isEmpty)
    }

    @Test(arguments: Kind.allCases)
    func batchStatusAndDeleteAreAllOrNothing(kind: Kind) async throws {
        let (store, _) = try Self.makeStore(kind)
        for n in 1...3 { try await store.insertChannel(Self.channel(n)) }
        let ids = (1...3).map { Self.channel($0).id }
        await #expect(throws: StoreError(.notFound, ids: ["99"])) {
            try await store.setChannelStatus(.closed, ids: [ids[0], "99"])
        }
        #expect(try await store.channel(id: ids[0])?.status == .noInput)
        try await store.setChannelStatus(.closed, ids: [ids[0], ids[1]])
        #expect(try await store.channel(id: ids[1])?.status == .closed)
        #expect(try await store.channel(id: ids[2])?.status == .noInput)
        await #expect(throws: StoreError(.notFound, ids: ["98", "99"])) {
            try await store.deleteChannels(ids: [ids[2], "98", "99"])
        }
        #expect(try await store.channel(id: ids[2]) != nil)
        try await store.deleteChannels(ids: [ids[0], ids[2]])
        #expect(try await store.channels(ChannelQuery(pageSize: 10)).channels.map(\.id) == [ids[1]])
    }

    @Test(arguments: Kind.allCases)
    func updateReplacesFieldsOfExistingChannelsOnly(kind: Kind) async throws {
        let (store, _) = try Self.makeStore(kind)
        var channel = Self.channel(1)
        try await store.insertChannel(channel)
        channel.name = "renamed"
        channel.describe = "about"
        channel.outputRates = [0, 20]
        try await store.updateChannel(channel)
        #expect(try await store.channel(id: channel.id) == channel)
        await #expect(throws: StoreError(.notFound, ids: [Self.channel(2).id])) { try await store.updateChannel(Self.channel(2)) }
    }

    @Test(arguments: Kind.allCases)
    func statusCompareAndSet(kind: Kind) async throws {
        let (store, _) = try Self.makeStore(kind)
        let id = Self.channel(1).id
        try await store.insertChannel(Self.channel(1))
        #expect(try await store.updateChannelStatus(id: id, from: .noInput, to: .live))
        #expect(try await store.updateChannelStatus(id: id, from: .noInput, to: .abnormal) == false)
        #expect(try await store.channel(id: id)?.status == .live)
        try await store.setChannelStatus(.closed, ids: [id])
        #expect(try await store.updateChannelStatus(id: id, from: .live, to: .noInput) == false)
        #expect(try await store.channel(id: id)?.status == .closed)
        #expect(try await store.updateChannelStatus(id: "404", from: .live, to: .noInput) == false)
    }

    @Test func sqliteSurvivesReopeningAndUsesWAL() async throws {
        let (store, path) = try Self.makeStore(.sqlite)
        let channel = Self.channel(7, status: .closed)
        try await store.insertChannel(channel)
        let reopened = try SQLiteRecordingStore(path: path!)
        #expect(try await reopened.channel(id: channel.id) == channel)
        #expect(FileManager.default.fileExists(atPath: path! + "-wal"))
        // Migrations are idempotent: opening a third time changes nothing.
        let again = try SQLiteRecordingStore(path: path!)
        #expect(try await again.channels(ChannelQuery()).totalCount == 1)
    }
}
