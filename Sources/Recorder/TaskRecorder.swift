import FLV
import Foundation
import Logging
import NIOCore
import RTMPServer
import Store
import Synchronization
import Telemetry

/// Where a recorder gets a channel's media: the RTMP channel hub, or a test source.
public protocol MediaSource: Sendable {
    func subscribe(_ subscriber: any MediaSubscriber, streamId: String)
    func unsubscribe(_ subscriber: any MediaSubscriber, streamId: String)
    /// Whether `streamId` has a live publisher now.
    func isLive(streamId: String) -> Bool
}

extension ChannelHub: MediaSource {}

/// What every task recorder shares.
struct RecorderContext: Sendable {
    var layout: FragmentLayout
    var bizId: String
    var store: any RecordingStore
    var blobs: any BlobStore
    var announcer: EventAnnouncer
    /// Wall clock, Unix milliseconds.
    var nowMilliseconds: @Sendable () -> Int64
    var policy: FragmentPolicy.Configuration
    var logger: Logger
    var metrics: ReelMetrics = .noop
    /// Set when the server shuts down, so fragments closed then count as `shutdown`.
    var shutdown = ShutdownFlag()
}

/// Whether the recorder is shutting down; shared by its task recorders.
final class ShutdownFlag: Sendable {
    private let value = Atomic<Bool>(false)

    func begin() { value.store(true, ordering: .relaxed) }
    var isShuttingDown: Bool { value.load(ordering: .relaxed) }
}

/// Records one task on one channel: subscribes to the channel's stream, queues what the hub
/// hands it (never blocking the publisher), and in its own task drives a ``FragmentPolicy``
/// and writes the fragments.
final class TaskRecorder: MediaSubscriber {
    enum Event: Sendable {
        case publishStarted(UInt64)
        case tag(FLVMediaTag)
        case publishEnded(UInt64)
        case flushTick
        case taskEnded
    }

    let task: RecordTask
    let streamId: String
    private let context: RecorderContext
    private let inbox = RecorderInbox()
    /// Whether the open fragment holds bytes not yet written; read by the recorder's ticker.
    private let unflushed = Atomic<Bool>(false)

    init(task: RecordTask, streamId: String, context: RecorderContext) {
        self.task = task
        self.streamId = streamId
        self.context = context
    }

    // MARK: MediaSubscriber (called under the hub's lock: queue and return)

    func publishStarted(_ stream: LiveStreamInfo) { inbox.push(.publishStarted(stream.publishId)) }
    func received(_ tag: FLVMediaTag) { inbox.push(.tag(tag)) }
    func publishEnded(_ stream: LiveStreamInfo, reason: PublishEndReason) { inbox.push(.publishEnded(stream.publishId)) }
    var wantsPublisherToWait: Bool { inbox.isOverHighWaterMark }
    func waitForCapacity() async { await inbox.waitForCapacity() }

    /// Ends the recording: the open fragment is completed and registered.
    func end() { inbox.push(.taskEnded) }

    /// Asks for a flush when bytes wait for one, buffered for the file or tags not yet taken
    /// from the inbox: the recorder's ticker calls this every flush interval, so idle tasks
    /// cost nothing.
    func flushIfPending() {
        if unflushed.load(ordering: .relaxed) || inbox.hasQueuedEvents { inbox.push(.flushTick) }
    }

    /// Records until ``end()`` (or cancellation), then closes the open fragment.
    /// - Returns: the fragments registered.
    @discardableResult
    func run(source: any MediaSource) async -> [RecordFragment] {
        var logger = context.logger
        logger[metadataKey: "task"] = "\(task.id)"
        logger[metadataKey: "channel"] = "\(task.channelId)"
        source.subscribe(self, streamId: streamId)
        // Subscribed to a stream already live: the window opens at its next keyframe. Otherwise
        // the next publish is recorded from its first tag.
        let joinedLive = source.isLive(streamId: streamId)
        var driver = RecordingDriver(
            task: task, streamId: streamId, context: context, logger: logger, joinedLive: joinedLive
        )
        logger.info("recording started")
        do {
            var batch: [Event] = []
            receiving: while await inbox.take(into: &batch) {
                for event in batch {
                    if case .taskEnded = event { break receiving }
                    try await driver.handle(event)
                }
                unflushed.store(driver.hasPendingBytes, ordering: .relaxed)
            }
            try await driver.handle(.taskEnded)
        } catch {
            logger.error("recording failed; the open fragment is left for recovery", metadata: ["error": "\(error)"])
            driver.abandon()
        }
        unflushed.store(false, ordering: .relaxed)
        source.unsubscribe(self, streamId: streamId)
        inbox.finish()
        logger.info("recording ended", metadata: ["fragments": "\(driver.registered.count)"])
        return driver.registered
    }
}

/// Runs a ``FragmentPolicy``'s actions against fragment files: the I/O half of a task recorder.
///
/// Write-through: the policy holds the GOP in progress back (its one-GOP look-ahead) until it
/// knows which fragment the GOP belongs to. So that a crash loses at most the flush interval,
/// the driver mirrors that look-ahead (``held``) and writes it to the open file speculatively,
/// after the committed bytes, through a second writer (the shadow). When the policy commits
/// the tags, the bytes are already there and the committed writer takes the shadow's state;
/// when it cuts, the held tags are read back from the file, the file is truncated to its
/// committed end, and the held tags are written again into the next fragment. Recovery
/// (``FLVRepair``) keeps every complete tag, speculative ones included.
///
/// The look-ahead lives in the file, not in memory: once a frame is written through, the
/// policy and ``held`` keep it without its body (its type, timestamp and flags are all they
/// need), so a stream costs its unflushed bytes, not a GOP. Sequence headers and metadata
/// keep their bodies: the policy repeats them at the front of every fragment.
struct RecordingDriver {
    private struct OpenFragment {
        /// The writer over the committed tags.
        var writer: FLVFragmentWriter
        /// The file's size after the committed tags.
        var committedSize: Int
        /// The writer over the committed and the speculative tags.
        var shadow: FLVFragmentWriter
        var file: FragmentFile
        var vid: String
        var startTime: Int64
    }

    let task: RecordTask
    let streamId: String
    let context: RecorderContext
    let logger: Logger
    private var policy: FragmentPolicy
    private var publishId: UInt64?
    /// Joining a stream already live, the window opens at the first cut candidate, so the
    /// fragment starts on a keyframe; otherwise it is open from the start.
    private var windowOpened = false
    private var sawVideo = false
    private var open: OpenFragment?
    /// Mirror of the policy's look-ahead: tags it holds back, written speculatively, with
    /// the timestamps the policy gave them. Frames are kept without their bodies, except
    /// between a cut or a divergence and their rewrite (see ``readBackHeld()``).
    private var held: [FLVMediaTag] = []
    private(set) var registered: [RecordFragment] = []

    init(task: RecordTask, streamId: String, context: RecorderContext, logger: Logger, joinedLive: Bool) {
        self.task = task
        self.streamId = streamId
        self.context = context
        self.logger = logger
        self.policy = FragmentPolicy(configuration: context.policy)
        if !joinedLive {
            windowOpened = true
            _ = policy.taskDidStart()  // no publisher yet: no action
        }
    }

    /// Whether the open fragment has bytes waiting for the next flush.
    var hasPendingBytes: Bool { open?.file.hasPendingBytes ?? false }

    mutating func handle(_ event: TaskRecorder.Event) async throws {
        switch event {
        case .publishStarted(let id):
            publishId = id
            try await run(policy.publisherDidStart())
        case .tag(var tag):
            guard publishId != nil else { return }
            if !windowOpened {
                let candidate =
                    switch tag.type {
                    case .video: tag.isKeyframe && !tag.isSequenceHeader
                    case .audio: !tag.isSequenceHeader && !sawVideo
                    case .scriptData: false
                    }
                if candidate {
                    windowOpened = true
                    try await run(policy.taskDidStart())
                }
            }
            if tag.type == .video { sawVideo = true }
            // With a fragment open, a frame ends up in a file whatever the policy decides (this
            // fragment or, after a cut, the next): the policy gets it without its body.
            let writesThrough = open != nil && tag.isFrame
            try await run(policy.mediaTagDidArrive(writesThrough ? Self.withoutBody(tag) : tag))
            // The policy holds every tag it records (all but metadata) once a fragment is open.
            if open != nil && !(tag.type == .scriptData && tag.isSequenceHeader) {
                tag.timestamp = policy.placedTimestamp
                try await hold(tag)
            }
        case .publishEnded(let id):
            guard publishId == id else { return }
            publishId = nil
            sawVideo = false
            try await run(policy.publisherDidStop())
        case .flushTick:
            try await open?.file.flush()
        case .taskEnded:
            try await run(policy.taskDidEnd())
            if open != nil { try await close(.taskEnd) }
        }
    }

    /// Leaves the open fragment's part file for recovery.
    mutating func abandon() {
        guard let fragment = open else { return }
        fragment.file.abandon()
        open = nil
        context.metrics.fragmentsOpen.decrement()
    }

    private mutating func run(_ actions: [FragmentPolicy.Action]) async throws {
        for action in actions {
            switch action {
            case .openFragment(let start):
                try await openFragment(start)
            case .writeTags(let tags):
                try await commit(tags)
            case .cutFragment(let end, let next):
                try await close(end.reason)
                try await openFragment(next)
            case .closeFragment(let end):
                try await close(end.reason)
            }
        }
    }

    /// `tag` with an empty body: what the look-ahead keeps of a frame (``FLVMediaTag/isFrame``)
    /// already in the file.
    private static func withoutBody(_ tag: FLVMediaTag) -> FLVMediaTag {
        FLVMediaTag(
            type: tag.type, timestamp: tag.timestamp, isKeyframe: tag.isKeyframe,
            isSequenceHeader: tag.isSequenceHeader, data: ByteBuffer()
        )
    }

    /// Writes a tag the policy holds back after the committed bytes.
    private mutating func hold(_ tag: FLVMediaTag) async throws {
        guard let file = open?.file, let timestamp = open?.shadow.advance(past: tag) else { return }
        held.append(tag.isFrame ? Self.withoutBody(tag) : tag)
        try await file.appendTag(type: tag.type, timestamp: timestamp, data: tag.data)
    }

    /// The held tags with their bodies, read back from the speculative end of the open file.
    private func readBackHeld() async throws -> [FLVMediaTag] {
        guard let fragment = open, !held.isEmpty else { return held }
        var bytes = try await fragment.file.read(from: fragment.committedSize)
        var tags: [FLVMediaTag] = []
        tags.reserveCapacity(held.count)
        for var tag in held {
            guard let written = try FLVTagDecoder.readTag(from: &bytes), written.type == tag.type else {
                throw RecorderError("the speculative tags of \(fragment.file.partPath) do not read back")
            }
            tag.data = written.data
            tags.append(tag)
        }
        return tags
    }

    /// The policy wrote `tags`: the oldest held ones. Their bytes are normally on file already.
    private mutating func commit(_ tags: [FLVMediaTag]) async throws {
        guard let fragment = open else { preconditionFailure("RecordingDriver: writeTags with no open fragment") }
        countWritten(tags)
        if tags.count == held.count && zip(tags, held).allSatisfy(Self.sameTag) {
            // The usual case: everything held is committed, exactly as written.
            open?.writer = fragment.shadow
            open?.committedSize = fragment.file.size
            held.removeAll(keepingCapacity: true)
            return
        }
        // The mirror diverged (tags held before the fragment opened, or fewer committed than
        // held): write the committed tags from the old committed end, then the rest again.
        // Bodies the policy does not have are the held ones', read back; the held tags are
        // the newest of the committed ones, or all of them committed first.
        held = try await readBackHeld()
        var committed = tags
        let offset = max(tags.count - held.count, 0)
        for index in offset..<min(tags.count, offset + held.count) where committed[index].data.readableBytes == 0 {
            committed[index].data = held[index - offset].data
        }
        var writer = fragment.writer
        let bytes = writer.write(committed)
        held.removeFirst(min(tags.count, held.count))
        open?.writer = writer
        open?.committedSize = fragment.committedSize + bytes.readableBytes
        try await fragment.file.truncate(to: fragment.committedSize)
        try await fragment.file.append(bytes)
        try await rewriteHeld()
    }

    /// Whether a committed tag encodes as the held one it mirrors (bodies are the same tags').
    private static func sameTag(_ committed: FLVMediaTag, _ held: FLVMediaTag) -> Bool {
        committed.type == held.type && committed.timestamp == held.timestamp && committed.isKeyframe == held.isKeyframe
            && committed.isSequenceHeader == held.isSequenceHeader
    }

    /// Writes the held tags, with their bodies, again after the committed bytes from a fresh
    /// shadow writer; keeps them without bodies afterwards.
    private mutating func rewriteHeld() async throws {
        guard let fragment = open else { return }
        if fragment.file.size != fragment.committedSize { try await fragment.file.truncate(to: fragment.committedSize) }
        var shadow = fragment.writer
        for tag in held {
            try await fragment.file.appendTag(type: tag.type, timestamp: shadow.advance(past: tag), data: tag.data)
        }
        open?.shadow = shadow
        for index in held.indices where held[index].isFrame { held[index] = Self.withoutBody(held[index]) }
    }

    private mutating func openFragment(_ start: FragmentPolicy.FragmentStart) async throws {
        precondition(open == nil, "RecordingDriver: openFragment while a fragment is open")
        let vid = FragmentLayout.newVid(bizId: context.bizId)
        let startTime = context.nowMilliseconds()
        let layout = context.layout
        let part = layout.partPath(.init(channelId: task.channelId, vid: vid, taskId: task.id, startTime: startTime))
        let file = try await FragmentFile.create(partPath: part)
        var writer = FLVFragmentWriter(configuration: .init(maximumDuration: context.policy.maximumFragmentDuration))
        let front = writer.open(metadata: start.metadata, sequenceHeaders: start.sequenceHeaders)
        try await file.append(front)
        context.metrics.fragmentsOpened.increment()
        context.metrics.fragmentsOpen.increment()
        context.metrics.tagsWritten(.script).increment()
        countWritten(start.sequenceHeaders)
        open = OpenFragment(
            writer: writer, committedSize: front.readableBytes, shadow: writer, file: file, vid: vid, startTime: startTime
        )
        // Tags held over from the fragment just cut start this one.
        if !held.isEmpty { try await rewriteHeld() }
        logger.debug("fragment opened", metadata: ["vid": "\(vid)"])
    }

    /// Adds tags committed to the file to `reel_tags_written_total`, once per type per batch.
    private func countWritten(_ tags: [FLVMediaTag]) {
        var audio = 0
        var video = 0
        var script = 0
        for tag in tags {
            switch tag.type {
            case .audio: audio += 1
            case .video: video += 1
            case .scriptData: script += 1
            }
        }
        if audio > 0 { context.metrics.tagsWritten(.audio).increment(by: audio) }
        if video > 0 { context.metrics.tagsWritten(.video).increment(by: video) }
        if script > 0 { context.metrics.tagsWritten(.script).increment(by: script) }
    }

    /// The `reason` label of a fragment closed for `reason`.
    private func closeReason(_ reason: FragmentPolicy.CloseReason) -> ReelMetrics.FragmentCloseReason {
        switch reason {
        case .durationLimit: .maxDuration
        case .interruption: .interruption
        case .taskEnd: context.shutdown.isShuttingDown ? .shutdown : .taskEnded
        }
    }

    private mutating func close(_ reason: FragmentPolicy.CloseReason) async throws {
        // Tags still held move to the next fragment: their bodies are read back first.
        held = try await readBackHeld()
        guard var fragment = open else { return }
        open = nil
        let decided = ContinuousClock.now
        context.metrics.fragmentsOpen.decrement()
        let completion = fragment.writer.close()
        // Truncating to the committed size drops the speculative tags; they move to the next fragment.
        try await fragment.file.complete(writing: completion.bytes, at: completion.offset, length: completion.fileSize)
        let duration = completion.duration.milliseconds
        let record = RecordFragment(
            fileId: FragmentLayout.newFileId(), vid: fragment.vid, taskId: task.id, channelId: task.channelId,
            startTime: fragment.startTime, endTime: fragment.startTime + duration, duration: duration,
            size: Int64(completion.fileSize), path: context.blobs.location(of: fragment.vid)
        )
        // Registered first: a crash before the move leaves the part file, which recovery moves.
        let events = context.announcer.fragmentRecorded(record, streamId)
        try await context.store.insertFragment(record, events: events)
        try await context.blobs.put(fragment.vid, from: fragment.file.partPath)
        if !events.isEmpty { context.announcer.queued() }
        registered.append(record)
        context.metrics.fragmentsClosed(closeReason(reason)).increment()
        context.metrics.fragmentCloseDuration.recordDuration(ContinuousClock.now - decided)
        logger.info(
            "fragment recorded",
            metadata: [
                "vid": "\(record.vid)", "fragment.duration.ms": "\(duration)", "fragment.size": "\(record.size)",
                "reason": "\(closeReason(reason).rawValue)",
            ]
        )
    }
}
