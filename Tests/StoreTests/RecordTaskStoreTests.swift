import Foundation
import Testing

@testable import Store

/// The recording-task and fragment contract, run against every ``RecordingStore``.
@Suite struct RecordTaskStoreTests {
    typealias Kind = RecordingStoreTests.Kind

    static func fragment(_ n: Int, task: Int64, channel: String = "c1", start: Int64) -> RecordFragment {
        RecordFragment(
            fileId: String(9_000_000_000_000_000_000 as UInt64 + UInt64(n)), vid: "1000_\(String(repeating: "0", count: 28))\(String(format: "%04d", n))",
            taskId: task, channelId: channel, startTime: start, endTime: start + 10_000, duration: 10_000, size: 1000 + Int64(n),
            path: "fragments/\(n).flv", recovered: n % 2 == 0
        )
    }

    @Test(arguments: Kind.allCases)
    func tasksGetIncreasingIdsAndReadBack(kind: Kind) async throws {
        let (store, _) = try RecordingStoreTests.makeStore(kind)
        // Given two tasks on one channel and one on another
        let a = try await store.insertTask(RecordTask(channelId: "c1", startTime: 100, endTime: 200, createdAt: 50))
        let b = try await store.insertTask(RecordTask(channelId: "c1", startTime: 300, endTime: 400, createdAt: 60))
        let c = try await store.insertTask(RecordTask(channelId: "c2", startTime: 300, endTime: 400, createdAt: 70))
        // Then ids are 1, 2, 3 and each reads back
        #expect([a.id, b.id, c.id] == [1, 2, 3])
        #expect(try await store.task(id: 2) == b)
        #expect(try await store.task(id: 9) == nil)
        let page = try await store.tasks(channelId: "c1", pageNo: 1, pageSize: 1)
        #expect(page.totalCount == 2 && page.tasks.map(\.task) == [a])
        #expect(try await store.tasks(channelId: "c1", pageNo: 2, pageSize: 1).tasks.map(\.task) == [b])
        #expect(try await store.tasks(channelId: "c1", pageNo: 3, pageSize: 1).tasks.isEmpty)
    }

    @Test(arguments: Kind.allCases)
    func statusIsACompareAndSet(kind: Kind) async throws {
        let (store, _) = try RecordingStoreTests.makeStore(kind)
        let task = try await store.insertTask(RecordTask(channelId: "c1", startTime: 100, endTime: 200, createdAt: 50))
        #expect(try await store.updateTaskStatus(id: task.id, from: [.notStarted], to: .running))
        #expect(try await !store.updateTaskStatus(id: task.id, from: [.notStarted], to: .finished))
        #expect(try await store.task(id: task.id)?.status == .running)
        #expect(try await store.tasks(statuses: [.running, .notStarted]).map(\.id) == [task.id])
        #expect(try await store.tasks(statuses: [.finished]).isEmpty)
        #expect(try await !store.updateTaskStatus(id: 42, from: [.running], to: .finished))
    }

    @Test(arguments: Kind.allCases)
    func deleteTaskKeepsItsFragments(kind: Kind) async throws {
        let (store, _) = try RecordingStoreTests.makeStore(kind)
        let task = try await store.insertTask(RecordTask(channelId: "c1", startTime: 100, endTime: 200, createdAt: 50))
        try await store.insertFragment(Self.fragment(1, task: task.id, start: 100_000))
        try await store.deleteTask(id: task.id)
        #expect(try await store.task(id: task.id) == nil)
        await #expect(throws: StoreError(.notFound, ids: ["1"])) { try await store.deleteTask(id: task.id) }
        #expect(try await store.fragments(FragmentQuery(scope: .task(task.id))).totalCount == 1)
    }

    @Test(arguments: Kind.allCases)
    func fragmentsListByTaskAndByChannelTimeRangeWithCounts(kind: Kind) async throws {
        let (store, _) = try RecordingStoreTests.makeStore(kind)
        let t1 = try await store.insertTask(RecordTask(channelId: "c1", startTime: 100, endTime: 200, createdAt: 50))
        let t2 = try await store.insertTask(RecordTask(channelId: "c1", startTime: 100, endTime: 200, createdAt: 50))
        // Given fragments inserted out of order
        let fragments = [
            Self.fragment(3, task: t1.id, start: 30_000), Self.fragment(1, task: t1.id, start: 10_000),
            Self.fragment(2, task: t2.id, start: 20_000), Self.fragment(4, task: t1.id, channel: "c2", start: 5_000),
        ]
        for fragment in fragments { try await store.insertFragment(fragment) }
        // When listed
        let byTask = try await store.fragments(FragmentQuery(scope: .task(t1.id)))
        #expect(byTask.totalCount == 3)
        #expect(byTask.fragments == [fragments[3], fragments[1], fragments[0]])
        let byChannel = try await store.fragments(FragmentQuery(scope: .channel("c1"), from: 15_000, until: 40_000, pageNo: 1, pageSize: 1))
        #expect(byChannel.totalCount == 2 && byChannel.fragments == [fragments[2]])
        let second = try await store.fragments(FragmentQuery(scope: .channel("c1"), from: 15_000, pageNo: 2, pageSize: 1))
        #expect(second.fragments == [fragments[0]])
        #expect(try await store.fragment(vid: fragments[2].vid) == fragments[2])
        #expect(try await store.fragment(vid: "1000_" + String(repeating: "f", count: 32)) == nil)
        #expect(try await store.fragment(vid: "") == nil)
        // Then task listings count them
        let page = try await store.tasks(channelId: "c1", pageNo: 1, pageSize: 10)
        #expect(page.tasks.map(\.fragmentCount) == [3, 1])
        // And a duplicate vid or file id is a conflict
        var sameVid = Self.fragment(5, task: t1.id, start: 1)
        sameVid.vid = fragments[0].vid
        await #expect(throws: StoreError(.conflict, ids: [sameVid.vid])) { try await store.insertFragment(sameVid) }
        #expect(try await store.fragments(FragmentQuery(scope: .task(t1.id))).totalCount == 3)
    }

    @Test func sqliteKeepsTasksAndFragmentsAcrossReopen() async throws {
        let (store, path) = try RecordingStoreTests.makeStore(.sqlite)
        let task = try await store.insertTask(RecordTask(channelId: "c1", startTime: 100, endTime: 200, status: .running, createdAt: 50))
        try await store.insertFragment(Self.fragment(1, task: task.id, start: 100_000))
        let reopened = try SQLiteRecordingStore(path: try #require(path))
        #expect(try await reopened.task(id: task.id) == task)
        #expect(try await reopened.fragments(FragmentQuery(scope: .task(task.id))).fragments == [Self.fragment(1, task: task.id, start: 100_000)])
        #expect(try await reopened.insertTask(RecordTask(channelId: "c1", startTime: 1, endTime: 2, createdAt: 3)).id == 2)
    }

    @Test func sqliteListsFragmentsThroughIndexes() async throws {
        let (store, _) = try RecordingStoreTests.makeStore(.sqlite)
        let sqlite = try #require(store as? SQLiteRecordingStore)
        for sql in [
            "SELECT * FROM fragment WHERE channelId = 'c' AND startTime >= 1 AND startTime < 2 ORDER BY startTime, fileId LIMIT 20",
            "SELECT * FROM fragment WHERE taskId = 1 ORDER BY startTime, fileId LIMIT 20",
            "SELECT COUNT(*) FROM fragment WHERE taskId = 1",
            "SELECT * FROM recordTask WHERE channelId = 'c' ORDER BY id LIMIT 10",
        ] {
            let plan = try await sqlite.queryPlan(sql)
            #expect(plan.contains("USING INDEX") || plan.contains("USING COVERING INDEX"), "\(plan)")
            #expect(!plan.contains("TEMP B-TREE"), "\(plan)")
        }
    }
}
