import Synchronization

/// The queue between the channel hub and one ``TaskRecorder``: the hub pushes events under
/// its lock and never waits; the recorder takes everything queued at once.
///
/// A concrete queue rather than an `AsyncStream`, so the per-tag hand-off is one lock and an
/// array append (no generic metadata lookups, no task resumption per tag): the recorder is
/// resumed once per batch, however many tags arrived meanwhile.
final class RecorderInbox: Sendable {
    private struct State {
        var events: [TaskRecorder.Event] = []
        var waiter: UnsafeContinuation<Void, Never>?
        var isFinished = false
    }

    private let state = Mutex(State())

    /// Queues `event`; ignored once the inbox is finished.
    func push(_ event: TaskRecorder.Event) {
        let waiter = state.withLock { state -> UnsafeContinuation<Void, Never>? in
            guard !state.isFinished else { return nil }
            state.events.append(event)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Stops taking events; a waiting ``take(into:)`` returns.
    func finish() {
        let waiter = state.withLock { state -> UnsafeContinuation<Void, Never>? in
            state.isFinished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Replaces `batch` with every queued event, in order, waiting for one if none is queued.
    ///
    /// - Returns: `false` when the inbox is finished (or the task cancelled) and nothing is
    ///   left; `batch` is then empty.
    func take(into batch: inout [TaskRecorder.Event]) async -> Bool {
        batch.removeAll(keepingCapacity: true)
        while true {
            let taken = state.withLock { state -> Bool in
                guard !state.events.isEmpty else { return false }
                swap(&state.events, &batch)
                return true
            }
            if taken { return true }
            if state.withLock({ $0.isFinished }) || Task.isCancelled { return false }
            await withTaskCancellationHandler {
                await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        guard state.events.isEmpty && !state.isFinished else { return true }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                finish()
            }
        }
    }
}
