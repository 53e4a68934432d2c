import Foundation
import Store
import Synchronization
import Testing

@testable import Recorder

/// A recorder that only remembers what the scheduler asked.
final class FakeRecorder: RecordingControl {
    private let state = Mutex<(active: Set<Int64>, starts: [Int64], stops: [Int64])>(([], [], []))

    func startRecording(_ task: RecordTask, streamId: String) {
        state.withLock { state in
            if state.active.insert(task.id).inserted { state.starts.append(task.id) }
        }
    }

    func stopRecording(taskId: Int64) {
        state.withLock { state in
            state.active.remove(taskId)
            state.stops.append(taskId)
        }
    }

    var activeTaskIds: Set<Int64> { state.withLock { $0.active } }
    var starts: [Int64] { state.withLock { $0.starts } }
    var stops: [Int64] { state.withLock { $0.stops } }
}

/// A clock the test moves (Unix seconds).
final class MockClock: Sendable {
    private let value: Mutex<Int64>
    init(_ start: Int64) { value = Mutex(start) }
    var now: Int64 { value.withLock { $0 } }
    func advance(_ seconds: Int64) { value.withLock { $0 += seconds } }
}

@Suite struct RecordSchedulerTests {
    static let t0: Int64 = 1_800_000_000

    struct Setup {
        let store = InMemoryRecordingStore()
        let clock = MockClock(t0)
        let recorder = FakeRecorder()
        var scheduler: RecordScheduler { scheduler(recorder) }
        func scheduler(_ recorder: FakeRecorder) -> RecordScheduler {
            let clock = self.clock
            return RecordScheduler(store: store, recorder: recorder, now: { clock.now }, logger: quietLogger)
        }
        func status(_ id: Int64) async -> RecordTaskStatus? { await store.task(id: id)?.status }

        func channel(_ id: String, status: ChannelStatus = .noInput) async throws {
            try await store.insertChannel(
                LiveChannel(id: id, name: "n", outputSourceType: 1, sourceName: "cam", streamId: "1000_\(id)", status: status, createdAt: 0)
            )
        }

        func task(_ channel: String = "1", start: Int64, end: Int64, status: RecordTaskStatus = .notStarted) async -> RecordTask {
            await store.insertTask(RecordTask(channelId: channel, startTime: t0 + start, endTime: t0 + end, status: status, createdAt: t0))
        }
    }

    @Test func aTaskStartsAtItsStartTimeAndEndsAtItsEndTimeOverHours() async throws {
        let s = Setup()
        try await s.channel("1")
        let task = await s.task(start: 3_600, end: 3 * 3_600)
        let scheduler = s.scheduler
        // An hour of waiting, in minutes
        for _ in 0..<59 {
            s.clock.advance(60)
            try await scheduler.tick()
        }
        #expect(await s.status(task.id) == .notStarted)
        #expect(s.recorder.starts.isEmpty)
        s.clock.advance(60)
        try await scheduler.tick()
        #expect(await s.status(task.id) == .running)
        #expect(s.recorder.starts == [task.id] && s.recorder.activeTaskIds == [task.id])
        // Two hours of recording; each tick keeps it recorded, once
        for _ in 0..<119 {
            s.clock.advance(60)
            try await scheduler.tick()
        }
        #expect(await s.status(task.id) == .running)
        #expect(s.recorder.starts == [task.id] && s.recorder.stops.isEmpty)
        s.clock.advance(60)
        try await scheduler.tick()
        #expect(await s.status(task.id) == .finished)
        #expect(s.recorder.stops == [task.id] && s.recorder.activeTaskIds.isEmpty)
    }

    @Test func stopRecordAndDeleteRecordStopTheRecorderWithinATick() async throws {
        let s = Setup()
        try await s.channel("1")
        let a = await s.task(start: 0, end: 100)
        let b = await s.task(start: 0, end: 100)
        try await s.scheduler.tick()
        #expect(s.recorder.activeTaskIds == [a.id, b.id])
        // StopRecord marks a finished; DeleteRecord removes b
        #expect(try await s.store.updateTaskStatus(id: a.id, from: [.running], to: .finished))
        try await s.store.deleteTask(id: b.id)
        try await s.scheduler.tick()
        #expect(Set(s.recorder.stops) == [a.id, b.id] && s.recorder.activeTaskIds.isEmpty)
        #expect(await s.status(a.id) == .finished)
    }

    @Test func aStoppedChannelFinishesItsTasksAndADeletedOneMakesThemAbnormal() async throws {
        let s = Setup()
        try await s.channel("1")
        try await s.channel("2")
        let onStopped = await s.task("1", start: 0, end: 100)
        let onDeleted = await s.task("2", start: 0, end: 100)
        let pendingOnStopped = await s.task("1", start: 50, end: 100)
        try await s.scheduler.tick()
        try await s.store.setChannelStatus(.closed, ids: ["1"])
        try await s.store.deleteChannels(ids: ["2"])
        try await s.scheduler.tick()
        #expect(await s.status(onStopped.id) == .finished)
        #expect(await s.status(onDeleted.id) == .abnormal)
        #expect(s.recorder.activeTaskIds.isEmpty)
        s.clock.advance(50)
        try await s.scheduler.tick()
        #expect(await s.status(pendingOnStopped.id) == .abnormal)
    }

    @Test func aRestartKeepsEveryTaskInItsState() async throws {
        let s = Setup()
        try await s.channel("1")
        let pending = await s.task(start: 600, end: 1_200)
        let running = await s.task(start: 0, end: 1_200)
        let runningPastEnd = await s.task(start: 0, end: 300)
        let pendingPastWindow = await s.task(start: 60, end: 300)
        let finished = await s.task(start: 0, end: 1_200)
        try await s.scheduler.tick()
        #expect(try await s.store.updateTaskStatus(id: finished.id, from: [.running], to: .finished))
        #expect(s.recorder.activeTaskIds == [running.id, runningPastEnd.id, finished.id])

        // The server is down for 400 s; a new process has a fresh recorder and scheduler.
        s.clock.advance(400)
        let afterRestart = FakeRecorder()
        let scheduler = s.scheduler(afterRestart)
        try await scheduler.tick()
        #expect(afterRestart.starts == [running.id])  // resumes into a new fragment
        #expect(await s.status(running.id) == .running)
        #expect(await s.status(runningPastEnd.id) == .finished)
        #expect(await s.status(pendingPastWindow.id) == .abnormal)
        #expect(await s.status(finished.id) == .finished)
        #expect(await s.status(pending.id) == .notStarted)
        s.clock.advance(200)
        try await scheduler.tick()
        #expect(await s.status(pending.id) == .running)
        #expect(afterRestart.starts == [running.id, pending.id])
        s.clock.advance(600)
        try await scheduler.tick()
        #expect(await s.status(pending.id) == .finished)
        #expect(await s.status(running.id) == .finished)
        #expect(afterRestart.activeTaskIds.isEmpty)
    }
}
