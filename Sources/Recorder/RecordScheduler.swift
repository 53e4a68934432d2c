import Logging
import ServiceLifecycle
import Store

/// Starts and ends recording tasks on time (DESIGN.md §2): tasks live in the store, so the
/// schedule survives a restart.
///
/// Each ``tick()`` reconciles the store with the recorder:
/// - a task not started whose `startTime` has come becomes running (1) and is recorded; one
///   whose whole window passed unrecorded (the server was down), or whose channel is stopped
///   or gone by then, becomes abnormal (3);
/// - a running task whose `endTime` has come becomes finished (2); one whose channel was
///   stopped becomes finished (2) (the LVB ended); one whose channel was deleted becomes
///   abnormal (3);
/// - every running task is being recorded (after a restart, into a new fragment), and nothing
///   else is (StopRecord and DeleteRecord take effect here, within one tick).
///
/// The clock is injected: tests move `now` and call ``tick()`` to drive hours in milliseconds.
public final class RecordScheduler: Service {
    private let store: any RecordingStore
    private let recorder: any RecordingControl
    private let now: @Sendable () -> Int64
    private let interval: Duration
    private let logger: Logger

    /// - Parameters:
    ///   - now: the server's clock, Unix seconds.
    ///   - interval: time between ticks in ``run()``. Default 1 s.
    public init(
        store: any RecordingStore, recorder: any RecordingControl, now: @escaping @Sendable () -> Int64,
        interval: Duration = .seconds(1), logger: Logger
    ) {
        self.store = store
        self.recorder = recorder
        self.now = now
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await tick()
            } catch {
                logger.error("scheduler tick failed", metadata: ["error": "\(error)"])
            }
            let interval = self.interval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One reconciliation pass at the current time.
    public func tick() async throws {
        let now = self.now()
        logger.trace("scheduler tick", metadata: ["now": "\(now)"])
        var running: Set<Int64> = []
        let tasks = try await store.tasks(statuses: [.notStarted, .running])
        let channels = try await store.channels(ids: Set(tasks.map(\.channelId)))
        for task in tasks {
            let channel = channels[task.channelId]
            switch task.status {
            case .notStarted:
                guard now >= task.startTime else { continue }
                if now >= task.endTime || channel == nil || channel?.status == .closed {
                    try await transition(task, from: .notStarted, to: .abnormal, why: "window passed or channel gone before it started")
                    continue
                }
                guard try await transition(task, from: .notStarted, to: .running, why: "start time") else { continue }
            case .running:
                if now >= task.endTime {
                    try await transition(task, from: .running, to: .finished, why: "end time")
                    continue
                }
                guard let channel else {
                    try await transition(task, from: .running, to: .abnormal, why: "channel deleted")
                    continue
                }
                if channel.status == .closed {
                    try await transition(task, from: .running, to: .finished, why: "channel stopped")
                    continue
                }
            case .finished, .abnormal:
                continue
            }
            guard let channel else { continue }
            running.insert(task.id)
            recorder.startRecording(task, streamId: channel.streamId)
        }
        for id in recorder.activeTaskIds.subtracting(running) {
            recorder.stopRecording(taskId: id)
        }
    }

    @discardableResult
    private func transition(_ task: RecordTask, from: RecordTaskStatus, to: RecordTaskStatus, why: String) async throws -> Bool {
        let changed = try await store.updateTaskStatus(id: task.id, from: [from], to: to)
        if changed {
            logger.info(
                "record task status changed",
                metadata: [
                    "task": "\(task.id)", "channel": "\(task.channelId)", "status": "\(to.rawValue)",
                    "reason": "\(why)",
                ]
            )
        }
        return changed
    }
}
