import Synchronization

/// The queue between the channel hub and one ``TaskRecorder``: the hub pushes events under
/// its lock and never waits; the recorder takes everything queued at once.
///
/// A concrete queue rather than an `AsyncStream`, so the per-tag hand-off is one lock and an
/// array append (no generic metadata lookups, no task resumption per tag): the recorder is
/// resumed once per batch, however many tags arrived meanwhile.
///
/// Tags alone do not wake the recorder until ``wakeThreshold`` bytes of them are queued: a
/// real-time stream's tags wait for the recorder's next flush tick (every 0.1 s), which takes
/// them and writes them in one go, instead of waking the recorder for every read from the
/// socket. Any other event (a publish starting or ending, a tick, the task's end) wakes it at
/// once.
///
/// Bounded by back-pressure, not by dropping: once more than ``highWaterMark`` bytes of tag
/// bodies are queued, ``isOverHighWaterMark`` turns on and the publishing connection awaits
/// ``waitForCapacity()``, which returns when the recorder takes the queue (or the inbox
/// finishes, or the waiting task is cancelled).
final class RecorderInbox: Sendable {
    /// Queued tag bytes above which the publisher is asked to wait. 8 MiB: about 25 s of a
    /// 2.5 Mbit/s stream, never reached by a real-time publisher and a recorder keeping up.
    static let highWaterMark = 8 << 20
    /// Queued tag bytes that wake the recorder without waiting for its tick. 256 KiB: more
    /// than 0.1 s of a stream up to about 20 Mbit/s.
    static let wakeThreshold = 256 << 10

    private struct State {
        var events: [TaskRecorder.Event] = []
        var queuedBytes = 0
        var waiter: UnsafeContinuation<Void, Never>?
        var capacityWaiters: [UInt64: UnsafeContinuation<Void, Never>] = [:]
        var cancelledWaiters: Set<UInt64> = []
        var nextWaiter: UInt64 = 0
        var isFinished = false

        /// Takes every continuation waiting for capacity.
        mutating func releaseCapacityWaiters() -> [UnsafeContinuation<Void, Never>] {
            defer { capacityWaiters.removeAll() }
            return Array(capacityWaiters.values)
        }
    }

    private let state = Mutex(State())
    private let overHighWaterMark = Atomic<Bool>(false)
    private let highWaterMark: Int
    private let wakeThreshold: Int

    init(highWaterMark: Int = RecorderInbox.highWaterMark, wakeThreshold: Int = RecorderInbox.wakeThreshold) {
        self.highWaterMark = highWaterMark
        self.wakeThreshold = wakeThreshold
    }

    /// Whether events wait to be taken.
    var hasQueuedEvents: Bool { state.withLock { !$0.events.isEmpty } }

    /// Whether ``take(into:)`` waits for events (for tests).
    var isRecorderWaiting: Bool { state.withLock { $0.waiter != nil } }

    /// Whether more than the high-water mark is queued.
    var isOverHighWaterMark: Bool { overHighWaterMark.load(ordering: .relaxed) }

    /// Queues `event`; ignored once the inbox is finished. Wakes a waiting ``take(into:)``
    /// unless `event` is a tag and less than the wake threshold of tags is queued.
    func push(_ event: TaskRecorder.Event) {
        let waiter = state.withLock { state -> UnsafeContinuation<Void, Never>? in
            guard !state.isFinished else { return nil }
            state.events.append(event)
            if case .tag(let tag) = event {
                state.queuedBytes += tag.data.readableBytes
                if state.queuedBytes > highWaterMark { overHighWaterMark.store(true, ordering: .relaxed) }
                if state.queuedBytes < wakeThreshold { return nil }
            }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Stops taking events; a waiting ``take(into:)`` and every ``waitForCapacity()`` return.
    func finish() {
        let (waiter, capacityWaiters) = state.withLock { state in
            state.isFinished = true
            overHighWaterMark.store(false, ordering: .relaxed)
            defer { state.waiter = nil }
            return (state.waiter, state.releaseCapacityWaiters())
        }
        waiter?.resume()
        for waiter in capacityWaiters { waiter.resume() }
    }

    /// Replaces `batch` with every queued event, in order, waiting for one if none is queued.
    ///
    /// - Returns: `false` when the inbox is finished (or the task cancelled) and nothing is
    ///   left; `batch` is then empty.
    func take(into batch: inout [TaskRecorder.Event]) async -> Bool {
        batch.removeAll(keepingCapacity: true)
        while true {
            let (taken, capacityWaiters) = state.withLock { state -> (Bool, [UnsafeContinuation<Void, Never>]) in
                guard !state.events.isEmpty else { return (false, []) }
                swap(&state.events, &batch)
                state.queuedBytes = 0
                overHighWaterMark.store(false, ordering: .relaxed)
                return (true, state.releaseCapacityWaiters())
            }
            for waiter in capacityWaiters { waiter.resume() }
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

    /// Returns once the recorder has taken what is queued, at once when less than the
    /// high-water mark is queued, the inbox is finished, or the calling task is cancelled.
    func waitForCapacity() async {
        let id = state.withLock { state in
            defer { state.nextWaiter &+= 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.isFinished || !isOverHighWaterMark || state.cancelledWaiters.remove(id) != nil {
                        return true
                    }
                    state.capacityWaiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> UnsafeContinuation<Void, Never>? in
                guard let waiter = state.capacityWaiters.removeValue(forKey: id) else {
                    // Not registered yet: the registration sees this and does not wait.
                    state.cancelledWaiters.insert(id)
                    return nil
                }
                return waiter
            }
            waiter?.resume()
        }
        // A cancellation that came after the wait ended left its mark behind.
        state.withLock { _ = $0.cancelledWaiters.remove(id) }
    }
}
