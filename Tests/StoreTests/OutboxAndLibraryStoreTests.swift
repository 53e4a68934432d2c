import Foundation
import GRDB
import Testing

@testable import Store

/// The event outbox and the reconciliation queries, run against every ``RecordingStore``.
@Suite struct OutboxAndLibraryStoreTests {
    typealias Kind = RecordingStoreTests.Kind

    static func event(_ n: Int, type: Int = 100, at time: Int64 = 1_000) -> OutboxEvent {
        OutboxEvent(eventId: "event-\(n)", type: type, payload: "{\"n\":\(n)}", createdAt: time)
    }

    @Test(arguments: Kind.allCases)
    func eventsQueueInOrderAndLeaveWhenDelivered(kind: Kind) async throws {
        let (store, path) = try RecordingStoreTests.makeStore(kind)
        // Given three events queued in two batches
        try await store.enqueueEvents([Self.event(1), Self.event(2)])
        try await store.enqueueEvents([Self.event(3, type: 0, at: 2_000)])
        // Then they come back oldest first, with increasing sequences and every field
        let queued = try await store.queuedEvents(limit: 10)
        #expect(queued.map(\.eventId) == ["event-1", "event-2", "event-3"])
        #expect(queued.map(\.sequence) == queued.map(\.sequence).sorted() && Set(queued.map(\.sequence)).count == 3)
        #expect(queued[2].type == 0 && queued[2].payload == "{\"n\":3}" && queued[2].createdAt == 2_000)
        #expect(queued[2].nextAttemptAt == 2_000 && queued[2].attempts == 0 && queued[2].lastError == nil)
        #expect(try await store.queuedEvents(limit: 2).map(\.eventId) == ["event-1", "event-2"])
        // When one fails and one is delivered
        try await store.rescheduleEvent(sequence: queued[0].sequence, attempts: 1, nextAttemptAt: 5_000, lastError: "refused")
        try await store.deleteEvent(sequence: queued[1].sequence)
        // Then the failed one keeps its place with its new schedule
        let after = try await store.queuedEvents(limit: 10)
        #expect(after.map(\.eventId) == ["event-1", "event-3"])
        #expect(after[0].attempts == 1 && after[0].nextAttemptAt == 5_000 && after[0].lastError == "refused")
        #expect(try await store.queuedEventCount() == 2)
        // and, for SQLite, all of it survives reopening
        if let path {
            let reopened = try SQLiteRecordingStore(path: path)
            #expect(try await reopened.queuedEvents(limit: 10) == after)
        }
    }

    @Test(arguments: Kind.allCases)
    func aFragmentAndItsEventAreOneTransaction(kind: Kind) async throws {
        let (store, _) = try RecordingStoreTests.makeStore(kind)
        let fragment = RecordTaskStoreTests.fragment(1, task: 1, start: 100)
        try await store.insertFragment(fragment, events: [Self.event(1)])
        #expect(try await store.queuedEvents(limit: 10).map(\.eventId) == ["event-1"])
        // A conflicting fragment queues nothing.
        await #expect(throws: StoreError.self) { try await store.insertFragment(fragment, events: [Self.event(2)]) }
        #expect(try await store.queuedEvents(limit: 10).map(\.eventId) == ["event-1"])
    }

    @Test(arguments: Kind.allCases)
    func aStatusEventIsQueuedOnlyWhenTheStatusChanges(kind: Kind) async throws {
        let (store, _) = try RecordingStoreTests.makeStore(kind)
        let channel = RecordingStoreTests.channel(1)
        try await store.insertChannel(channel)
        #expect(try await store.updateChannelStatus(id: channel.id, from: .noInput, to: .live, events: [Self.event(1, type: 1)]))
        #expect(try await !store.updateChannelStatus(id: channel.id, from: .noInput, to: .live, events: [Self.event(2, type: 1)]))
        #expect(try await store.queuedEvents(limit: 10).map(\.eventId) == ["event-1"])
    }

    @Test(arguments: Kind.allCases)
    func fragmentsPageByVidAndRowsCanBeRemoved(kind: Kind) async throws {
        let (store, _) = try RecordingStoreTests.makeStore(kind)
        let fragments = (1...25).map { RecordTaskStoreTests.fragment($0, task: 1, start: Int64(1000 - $0)) }
        for fragment in fragments.shuffled() { try await store.insertFragment(fragment) }
        // Paging by vid visits every row once, in vid order, whatever the start times.
        var seen: [String] = []
        var after: String?
        while true {
            let page = try await store.fragments(afterVid: after, limit: 10)
            seen += page.map(\.vid)
            guard page.count == 10 else { break }
            after = page.last?.vid
        }
        #expect(seen == fragments.map(\.vid).sorted())
        let unknown = "1000_" + String(repeating: "f", count: 32)
        #expect(try await store.registeredVids([fragments[3].vid, unknown, fragments[7].vid]) == [fragments[3].vid, fragments[7].vid])
        try await store.deleteFragment(vid: fragments[3].vid)
        #expect(try await store.fragment(vid: fragments[3].vid) == nil)
        #expect(try await store.registeredVids([fragments[3].vid]).isEmpty)
        await #expect(throws: StoreError(.notFound, ids: [fragments[3].vid])) {
            try await store.deleteFragment(vid: fragments[3].vid)
        }
    }
}

@Suite struct LocalBlobStoreTests {
    static func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reel-blobs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func vid(_ hex: String) -> String { "1000_" + hex + String(repeating: "0", count: 32 - hex.count) }

    @Test func blobsAreShardedByTheVidsHex() {
        let store = LocalBlobStore(dataDirectory: "/data")
        #expect(store.location(of: Self.vid("3fa2")) == "library/3f/a2/\(Self.vid("3fa2")).flv")
        #expect(store.location(of: "12_abcdef" + String(repeating: "1", count: 26)) == "library/ab/cd/12_abcdef\(String(repeating: "1", count: 26)).flv")
    }

    @Test func putMovesAtomicallyAndTheKeysAreListedByShard() async throws {
        let data = try Self.folder()
        let store = LocalBlobStore(dataDirectory: data)
        let keys = ["3fa2", "3fa2e", "00ff", "ffff", "3f00"].map(Self.vid)
        for (n, key) in keys.enumerated() {
            let staged = data + "/staged-\(n)"
            try Data("blob \(n)".utf8).write(to: URL(fileURLWithPath: staged))
            try await store.put(key, from: staged)
            #expect(!FileManager.default.fileExists(atPath: staged))
            #expect(try Data(contentsOf: URL(fileURLWithPath: data + "/" + store.location(of: key))) == Data("blob \(n)".utf8))
            #expect(try await store.contains(key))
        }
        // Junk in the library is not a key: a wrong name, a wrong shard, a part file.
        try Data().write(to: URL(fileURLWithPath: data + "/library/3f/a2/notes.txt"))
        try Data().write(to: URL(fileURLWithPath: data + "/library/3f/a2/\(Self.vid("0000")).flv"))
        try FileManager.default.createDirectory(atPath: data + "/library/zz", withIntermediateDirectories: true)
        var batches: [[String]] = []
        try await store.forEachKeyBatch { batches.append($0) }
        #expect(batches == [[Self.vid("00ff")], [Self.vid("3f00")], [Self.vid("3fa2"), Self.vid("3fa2e")], [Self.vid("ffff")]])

        try await store.remove(keys[0])
        #expect(try await !store.contains(keys[0]))
        try await store.remove(keys[0])  // removing again is fine
        let quarantined = try await store.quarantine(keys[2])
        #expect(quarantined == "lost+found/\(keys[2]).flv")
        #expect(FileManager.default.fileExists(atPath: data + "/" + quarantined))
        #expect(try await !store.contains(keys[2]))
    }

    @Test func keysThatAreNotVidsAreRefused() async throws {
        let data = try Self.folder()
        let store = LocalBlobStore(dataDirectory: data)
        let staged = data + "/staged"
        try Data("x".utf8).write(to: URL(fileURLWithPath: staged))
        for key in ["../../etc/passwd", "1000_ABCDEF" + String(repeating: "0", count: 26), "", "1000_/../x"] {
            await #expect(throws: BlobStoreError.self) { try await store.put(key, from: staged) }
            #expect(try await !store.contains(key))
        }
        #expect(FileManager.default.fileExists(atPath: staged))
    }
}

/// Listing totals come from tallies in SQLite; they must equal a plain count for any range.
@Suite struct FragmentTallyTests {
    typealias Kind = RecordingStoreTests.Kind

    @Test(arguments: Kind.allCases)
    func totalsEqualABruteForceCountAcrossDayBoundaries(kind: Kind) async throws {
        let (store, _) = try RecordingStoreTests.makeStore(kind)
        let day: Int64 = 86_400_000
        var generator = SystemRandomNumberGenerator()
        // 400 fragments of two channels and three tasks over five days, some on day boundaries.
        var all: [RecordFragment] = []
        for n in 0..<400 {
            let start = n % 25 == 0 ? Int64(n % 5) * day + 3 * day : Int64.random(in: 10 * day...(15 * day), using: &generator)
            let fragment = RecordTaskStoreTests.fragment(n, task: Int64(1 + n % 3), channel: n % 4 == 0 ? "c2" : "c1", start: start)
            all.append(fragment)
            try await store.insertFragment(fragment)
        }
        func check(_ label: String) async throws {
            for channel in ["c1", "c2"] {
                for _ in 0..<40 {
                    var bounds = [Int64.random(in: 9 * day...(16 * day), using: &generator), Int64.random(in: 9 * day...(16 * day), using: &generator)].sorted()
                    if Bool.random(using: &generator) { bounds[0] = bounds[0] / day * day }  // exactly on a boundary
                    let from: Int64? = Int.random(in: 0..<5, using: &generator) == 0 ? nil : bounds[0]
                    let until: Int64? = Int.random(in: 0..<5, using: &generator) == 0 ? nil : bounds[1]
                    let expected = all.filter { fragment in
                        fragment.channelId == channel && fragment.startTime >= (from ?? .min) && fragment.startTime < (until ?? .max)
                    }.count
                    let page = try await store.fragments(FragmentQuery(scope: .channel(channel), from: from, until: until, pageSize: 1))
                    #expect(page.totalCount == expected, "\(label) \(channel) [\(String(describing: from)), \(String(describing: until)))")
                }
            }
        }
        try await check("after inserts")
        // Deleting moves the tallies back.
        for fragment in all.prefix(50) { try await store.deleteFragment(vid: fragment.vid) }
        all.removeFirst(50)
        try await check("after deletes")
    }

    @Test(arguments: Kind.allCases)
    func taskTotalsFollowInsertsAndDeletes(kind: Kind) async throws {
        let (store, _) = try RecordingStoreTests.makeStore(kind)
        let task = try await store.insertTask(RecordTask(channelId: "c1", startTime: 0, endTime: 1, createdAt: 0))
        let fragments = (0..<30).map { RecordTaskStoreTests.fragment($0, task: task.id, start: Int64($0) * 1000) }
        for fragment in fragments { try await store.insertFragment(fragment) }
        for fragment in fragments.prefix(4) { try await store.deleteFragment(vid: fragment.vid) }
        #expect(try await store.fragments(FragmentQuery(scope: .task(task.id), pageSize: 1)).totalCount == 26)
        #expect(try await store.tasks(channelId: "c1", pageNo: 1, pageSize: 10).tasks.first?.fragmentCount == 26)
        // A deleted task's fragments are still counted.
        try await store.deleteTask(id: task.id)
        #expect(try await store.fragments(FragmentQuery(scope: .task(task.id), pageSize: 1)).totalCount == 26)
    }
}

@Suite struct FragmentTallyMigrationTests {
    @Test func theTallyMigrationCountsTheFragmentsAlreadyStored() async throws {
        let (_, created) = try RecordingStoreTests.makeStore(.sqlite)
        let path = try #require(created)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        // Given a store at the schema before the tallies, holding a task and its fragments
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteRecordingStore.migrator.migrate(queue, upTo: "v3: outbox")
            try await queue.write { db in
                try db.execute(sql: "INSERT INTO recordTask (id, channelId, startTime, endTime, status, createdAt) VALUES (1, 'c1', 0, 1, 1, 0)")
                for n in 0..<12 {
                    try RecordTaskStoreTests.fragment(n, task: 1, start: Int64(n) * 43_200_000).insert(into: db)
                }
            }
        }
        // When it is opened by this version
        let store = try SQLiteRecordingStore(path: path)
        // Then the totals count them
        #expect(try await store.tasks(channelId: "c1", pageNo: 1, pageSize: 10).tasks.first?.fragmentCount == 12)
        #expect(try await store.fragments(FragmentQuery(scope: .task(1), pageSize: 1)).totalCount == 12)
        #expect(try await store.fragments(FragmentQuery(scope: .channel("c1"), pageSize: 1)).totalCount == 12)
        #expect(try await store.fragments(FragmentQuery(scope: .channel("c1"), from: 86_400_000, until: 4 * 86_400_000, pageSize: 1)).totalCount == 6)
    }
}

extension RecordFragment {
    fileprivate func insert(into db: Database) throws { try FragmentRow(self).insert(db) }
}
