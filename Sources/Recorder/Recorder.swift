import FLV
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Store
import Synchronization
import Telemetry

/// What the scheduler asks of a recorder.
public protocol RecordingControl: Sendable {
    /// Starts recording `task` from the channel stream `streamId`; does nothing when it is
    /// already recording.
    func startRecording(_ task: RecordTask, streamId: String)
    /// Ends recording `taskId`: its open fragment is completed and registered.
    func stopRecording(taskId: Int64)
    /// The tasks being recorded now (including ones whose last fragment is closing).
    var activeTaskIds: Set<Int64> { get }
}

/// The recorder service: one ``TaskRecorder`` per active task, each subscribed to its
/// channel's stream, writing fragments under `<data>/fragments` (DESIGN.md §2).
///
/// Call ``recoverUnfinishedFragments()`` before RTMP ingest accepts pushes. On graceful
/// shutdown every open fragment is completed and registered; the tasks stay running in the
/// store, so the next start resumes them into new fragments.
public final class Recorder: Service, RecordingControl {
    /// The recorder's settings.
    public struct Configuration: Sendable {
        /// The data folder; fragments go to `<data>/fragments`.
        public var dataDirectory: String
        /// The number before `_` in vids. Default `1000`.
        public var bizId: String
        /// The most media time per fragment. Default 1800 s (`--max-fragment-duration`).
        public var maximumFragmentDuration: Duration
        /// How often buffered bytes are written to the file (sooner when 1 MiB is buffered).
        /// Default 0.1 s: a crash loses at most that much, and a stream holds that much.
        public var flushInterval: Duration

        public init(
            dataDirectory: String, bizId: String = "1000", maximumFragmentDuration: Duration = .seconds(1800),
            flushInterval: Duration = .milliseconds(100)
        ) {
            self.dataDirectory = dataDirectory
            self.bizId = bizId
            self.maximumFragmentDuration = maximumFragmentDuration
            self.flushInterval = flushInterval
        }
    }

    private enum Command: Sendable {
        case start(TaskRecorder)
    }

    private struct State {
        var active: [Int64: TaskRecorder] = [:]
        var isShutDown = false
    }

    public let configuration: Configuration
    private let context: RecorderContext
    private let source: any MediaSource
    private let logger: Logger
    private let state = Mutex(State())
    private let commands: AsyncStream<Command>
    private let commandContinuation: AsyncStream<Command>.Continuation

    /// - Parameters:
    ///   - store: where fragments are registered.
    ///   - blobs: where finished fragments go; default a ``LocalBlobStore`` in the data folder.
    ///   - source: where channel streams come from (the ``RTMPServer/ChannelHub``).
    ///   - announcer: the events of registered fragments, queued with them.
    ///   - nowMilliseconds: the wall clock, Unix milliseconds (fragment start and end times).
    ///   - metrics: fragments opened, open, closed by reason, close latency, tags written, recoveries.
    public init(
        configuration: Configuration, store: any RecordingStore, blobs: (any BlobStore)? = nil,
        source: any MediaSource, announcer: EventAnnouncer = .none,
        nowMilliseconds: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
        logger: Logger, metrics: ReelMetrics = .noop
    ) {
        self.configuration = configuration
        self.source = source
        self.logger = logger
        self.context = RecorderContext(
            layout: FragmentLayout(dataDirectory: configuration.dataDirectory), bizId: configuration.bizId, store: store,
            blobs: blobs ?? LocalBlobStore(dataDirectory: configuration.dataDirectory), announcer: announcer,
            nowMilliseconds: nowMilliseconds,
            policy: FragmentPolicy.Configuration(maximumFragmentDuration: configuration.maximumFragmentDuration),
            logger: logger, metrics: metrics
        )
        (commands, commandContinuation) = AsyncStream.makeStream(of: Command.self)
    }

    public var layout: FragmentLayout { context.layout }

    public func startRecording(_ task: RecordTask, streamId: String) {
        let recorder: TaskRecorder? = state.withLock { state in
            guard !state.isShutDown, state.active[task.id] == nil else { return nil }
            let recorder = TaskRecorder(task: task, streamId: streamId, context: context)
            state.active[task.id] = recorder
            return recorder
        }
        if let recorder { commandContinuation.yield(.start(recorder)) }
    }

    public func stopRecording(taskId: Int64) {
        state.withLock { $0.active[taskId] }?.end()
    }

    public var activeTaskIds: Set<Int64> { state.withLock { Set($0.active.keys) } }

    public func run() async throws {
        let source = self.source
        // One ticker for every task recorder: each flush interval, the ones with buffered
        // bytes are asked to write them. Ticks keep to a fixed rate (a late one is not
        // carried into the next), so buffered media waits about one interval at most.
        let ticker = Task { [self, interval = configuration.flushInterval] in
            let clock = ContinuousClock()
            var deadline = clock.now
            while !Task.isCancelled {
                deadline = max(deadline + interval, clock.now)
                do { try await Task.sleep(until: deadline, clock: clock) } catch { return }
                for recorder in state.withLock({ Array($0.active.values) }) { recorder.flushIfPending() }
            }
        }
        defer { ticker.cancel() }
        await withDiscardingTaskGroup { group in
            for await command in commands.cancelOnGracefulShutdown() {
                switch command {
                case .start(let recorder):
                    group.addTask {
                        await recorder.run(source: source)
                        self.state.withLock { state in
                            if state.active[recorder.task.id] === recorder { state.active[recorder.task.id] = nil }
                        }
                    }
                }
            }
            // Shutting down: complete every open fragment.
            context.shutdown.begin()
            let recorders = state.withLock { state in
                state.isShutDown = true
                return Array(state.active.values)
            }
            for recorder in recorders { recorder.end() }
        }
        commandContinuation.finish()
    }

    // MARK: Recovery

    /// Finishes every fragment a previous run left unfinished (a crash): cuts it back to its
    /// last complete tag, writes its metadata, registers it and moves it into the blob store.
    /// A part file with no usable media is deleted.
    /// - Returns: the fragments recovered.
    @discardableResult
    public func recoverUnfinishedFragments() async throws -> [RecordFragment] {
        let layout = context.layout
        let manager = FileManager.default
        guard let channels = try? manager.contentsOfDirectory(atPath: layout.fragmentsDirectory) else { return [] }
        var recovered: [RecordFragment] = []
        for channelId in channels.sorted() {
            let directory = layout.channelDirectory(channelId)
            for fileName in (try? manager.contentsOfDirectory(atPath: directory))?.sorted() ?? [] {
                guard let name = FragmentLayout.parsePartName(fileName, channelId: channelId) else { continue }
                let path = (directory as NSString).appendingPathComponent(fileName)
                do {
                    if let fragment = try await recover(path: path, name: name) {
                        recovered.append(fragment)
                        context.metrics.fragmentsRecovered.increment()
                    }
                } catch {
                    logger.error(
                        "could not recover fragment",
                        metadata: [
                            "channel": "\(name.channelId)", "task": "\(name.taskId)", "vid": "\(name.vid)",
                            "fragment.path": "\(path)", "error": "\(error)",
                        ]
                    )
                }
            }
        }
        if !recovered.isEmpty { logger.notice("unfinished fragments recovered", metadata: ["count": "\(recovered.count)"]) }
        return recovered
    }

    /// What ``reconcileLibrary()`` fixed.
    public struct Reconciliation: Sendable, Hashable {
        /// Vids whose rows were removed: their files were gone.
        public var rowsWithoutFile: [String] = []
        /// Vids of stored files no row named, moved to quarantine.
        public var filesWithoutRow: [String] = []
    }

    /// Makes the store and the blob store agree after a crash or a hand-made change, and logs
    /// every fix: a row whose file is gone is removed (listing it would promise a recording that
    /// cannot play), a blob no row names is moved to the quarantine folder (kept for a person
    /// to look at, never deleted). Call it after ``recoverUnfinishedFragments()``, before
    /// recording starts. Reads rows a page at a time and the blobs a shard at a time.
    ///
    /// When more than ``missingFilesLimit`` files and a tenth of all are missing, the library
    /// looks unmounted or moved rather than damaged: nothing is removed, an error says so.
    @discardableResult
    public func reconcileLibrary() async throws -> Reconciliation {
        let (store, blobs, layout) = (context.store, context.blobs, context.layout)
        var fixed = Reconciliation()
        var missing: [RecordFragment] = []
        var checked = 0
        var after: String?
        let pageSize = 1000
        while true {
            let page = try await store.fragments(afterVid: after, limit: pageSize)
            after = page.last?.vid
            checked += page.count
            missing += try await FragmentFile.blocking {
                page.filter { !FileManager.default.fileExists(atPath: layout.absolutePath(relative: $0.path)) }
            }
            if page.count < pageSize { break }
        }
        if missing.count > Self.missingFilesLimit && missing.count * 10 > checked {
            logger.error(
                "most fragment files are missing: is the data folder's library mounted? Nothing was removed",
                metadata: ["fragments.missing": "\(missing.count)", "fragments.checked": "\(checked)"]
            )
        } else {
            for fragment in missing {
                try await store.deleteFragment(vid: fragment.vid)
                fixed.rowsWithoutFile.append(fragment.vid)
                logger.error(
                    "fragment file missing; removed from the library",
                    metadata: [
                        "vid": "\(fragment.vid)", "fragment.path": "\(fragment.path)",
                        "channel": "\(fragment.channelId)", "task": "\(fragment.taskId)",
                    ]
                )
            }
        }
        try await blobs.forEachKeyBatch { keys in
            let registered = try await store.registeredVids(keys)
            for key in keys where !registered.contains(key) {
                let destination = try await blobs.quarantine(key)
                fixed.filesWithoutRow.append(key)
                logger.warning(
                    "fragment file with no row moved to quarantine",
                    metadata: ["vid": "\(key)", "fragment.path": "\(destination)"]
                )
            }
        }
        if fixed != Reconciliation() {
            logger.notice(
                "library reconciled",
                metadata: ["rows.removed": "\(fixed.rowsWithoutFile.count)", "files.quarantined": "\(fixed.filesWithoutRow.count)"]
            )
        }
        return fixed
    }

    /// Above this many missing files (and a tenth of all), reconciliation removes nothing.
    public static let missingFilesLimit = 100

    private func recover(path: String, name: FragmentLayout.PartName) async throws -> RecordFragment? {
        guard let handle = FileHandle(forUpdatingAtPath: path) else { throw RecorderError("cannot open \(path)") }
        var repair = FLVRepair()
        var carry = ByteBuffer()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            carry.writeBytes(chunk)
            repair.consume(&carry)
            carry.discardReadBytes()
        }
        let result: FLVRepair.Result
        do {
            result = try repair.finish()
        } catch {
            try? handle.close()
            try FileManager.default.removeItem(atPath: path)
            logger.warning(
                "unfinished fragment held no media; deleted",
                metadata: [
                    "channel": "\(name.channelId)", "task": "\(name.taskId)", "vid": "\(name.vid)",
                    "fragment.path": "\(path)",
                ]
            )
            return nil
        }
        try FragmentFile.complete(handle, writing: result.bytes, at: result.offset, length: result.length)
        let duration = result.duration.milliseconds
        var fragment = RecordFragment(
            fileId: FragmentLayout.newFileId(), vid: name.vid, taskId: name.taskId, channelId: name.channelId,
            startTime: name.startTime, endTime: name.startTime + duration, duration: duration, size: Int64(result.length),
            path: context.blobs.location(of: name.vid), recovered: true
        )
        var events: [OutboxEvent] = []
        do {
            let streamId = try await context.store.channel(id: name.channelId)?.streamId ?? ""
            events = context.announcer.fragmentRecorded(fragment, streamId)
            try await context.store.insertFragment(fragment, events: events)
        } catch let error as StoreError where error.code == .conflict {
            // Registered before the crash (the recorder registers, then moves): only the move was missing.
            guard let registered = try await context.store.fragment(vid: name.vid) else { throw error }
            fragment = registered
            events = []
        }
        if fragment.path == context.blobs.location(of: fragment.vid) {
            try await context.blobs.put(fragment.vid, from: path)
        } else {
            // Registered by an earlier version, which kept finished fragments beside their parts.
            let destination = context.layout.absolutePath(relative: fragment.path)
            guard rename(path, destination) == 0 else { throw RecorderError("cannot rename \(path) to \(destination)") }
        }
        if !events.isEmpty { context.announcer.queued() }
        logger.info(
            "fragment recovered",
            metadata: [
                "channel": "\(fragment.channelId)", "task": "\(fragment.taskId)", "vid": "\(fragment.vid)",
                "fragment.duration.ms": "\(duration)", "fragment.tags": "\(result.tagCount)",
            ]
        )
        return fragment
    }
}
