import FLV
import Foundation
import Logging
import NIOCore
import RTMPServer
import Recorder
import Store
import Synchronization
import Testing

/// A media source the test plays the publisher of: it hands tags to subscribers the way the
/// channel hub does.
final class FakeSource: MediaSource {
    private let subscribers = Mutex<[String: [any MediaSubscriber]]>([:])
    private let live = Mutex<Set<String>>([])

    func isLive(streamId: String) -> Bool { live.withLock { $0.contains(streamId) } }

    func subscribe(_ subscriber: any MediaSubscriber, streamId: String) {
        subscribers.withLock { $0[streamId, default: []].append(subscriber) }
        if isLive(streamId: streamId) { subscriber.publishStarted(LiveStreamInfo(channelId: "c", streamId: streamId, publishId: 1)) }
    }

    func unsubscribe(_ subscriber: any MediaSubscriber, streamId: String) {
        subscribers.withLock { $0[streamId]?.removeAll { $0 === subscriber } }
    }

    func subscriberCount(_ streamId: String) -> Int { subscribers.withLock { $0[streamId]?.count ?? 0 } }

    func publishStarted(_ streamId: String, publishId: UInt64 = 1) {
        let info = LiveStreamInfo(channelId: "c", streamId: streamId, publishId: publishId)
        live.withLock { _ = $0.insert(streamId) }
        for subscriber in subscribers.withLock({ $0[streamId] ?? [] }) { subscriber.publishStarted(info) }
    }

    func deliver(_ tags: [FLVMediaTag], to streamId: String) {
        let targets = subscribers.withLock { $0[streamId] ?? [] }
        for tag in tags { for subscriber in targets { subscriber.received(tag) } }
    }

    func publishEnded(_ streamId: String, publishId: UInt64 = 1) {
        let info = LiveStreamInfo(channelId: "c", streamId: streamId, publishId: publishId)
        live.withLock { _ = $0.remove(streamId) }
        for subscriber in subscribers.withLock({ $0[streamId] ?? [] }) { subscriber.publishEnded(info, reason: .unpublished) }
    }

    /// Waits until `streamId` has `count` subscribers.
    func waitForSubscribers(_ streamId: String, count: Int = 1) async throws {
        try await waitUntil("\(count) subscribers of \(streamId)") { self.subscriberCount(streamId) == count }
    }
}

/// Polls `condition` every 10 ms for up to `seconds`.
func waitUntil(_ what: String, seconds: Int = 10, _ condition: @Sendable () async throws -> Bool) async throws {
    for _ in 0..<(seconds * 100) {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("timed out waiting for \(what)")
    throw CancellationError()
}

/// A temporary data folder.
func temporaryDataFolder() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("reel-recorder-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

var quietLogger: Logger {
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    return logger
}

/// Tags as a publisher sends them: metadata, AVC and AAC sequence headers, then 25 fps video
/// with a keyframe every `gop` ms interleaved with audio every 40 ms. Each frame's body ends
/// with a unique serial.
enum Synthetic {
    static func headers() -> [FLVMediaTag] {
        var metadata = ByteBuffer()
        metadata.writeBytes([0x02, 0x00, 0x0A] + Array("onMetaData".utf8))
        metadata.writeBytes([0x08, 0x00, 0x00, 0x00, 0x01, 0x00, 0x05] + Array("width".utf8) + [0x00])
        metadata.writeInteger((1280.0).bitPattern)
        metadata.writeBytes([0x00, 0x00, 0x09])
        return [
            FLVMediaTag(type: .scriptData, timestamp: 0, data: metadata),
            FLVMediaTag(type: .video, timestamp: 0, data: ByteBuffer(bytes: [0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x64, 0x00, 0x1F, 0x01])),
            FLVMediaTag(type: .audio, timestamp: 0, data: ByteBuffer(bytes: [0xAF, 0x00, 0x12, 0x10])),
        ]
    }

    /// Frames with timestamps in `[start, end)`, a video and an audio frame every `step` ms;
    /// serials count from `firstSerial`.
    static func frames(from start: Int64, until end: Int64, gop: Int64 = 2000, step: Int64 = 40, firstSerial: Int = 0) -> [FLVMediaTag] {
        var events: [(Int64, Bool)] = []  // (time, isVideo)
        for time in stride(from: start, to: end, by: Int64.Stride(step)) { events.append((time, true)); events.append((time, false)) }
        var serial = firstSerial
        return events.map { time, isVideo in
            var body = ByteBuffer()
            if isVideo {
                let keyframe = (time - start) % gop == 0
                body.writeBytes([keyframe ? 0x17 : 0x27, 0x01, 0x00, 0x00, 0x00])
            } else {
                body.writeBytes([0xAF, 0x01])
            }
            body.writeInteger(UInt64(serial))
            serial += 1
            return FLVMediaTag(type: isVideo ? .video : .audio, timestamp: time, data: body)
        }
    }
}

/// A fragment file read back.
struct ReadFragment {
    var header: FLVHeader
    var tags: [FLVTag]
    var bytes: ByteBuffer

    init(path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes = ByteBuffer(bytes: data)
        var buffer = bytes
        var decoder = FLVTagDecoder()
        var header: FLVHeader?
        var tags: [FLVTag] = []
        while let element = try decoder.decode(buffer: &buffer) {
            switch element {
            case .header(let h): header = h
            case .tag(let tag): tags.append(tag)
            }
        }
        #expect(buffer.readableBytes == 0, "trailing bytes in \(path)")
        self.header = try #require(header)
        self.tags = tags
    }

    /// Serials of the frames, in file order.
    var serials: [Int] {
        tags.compactMap { tag in
            guard tag.type != .scriptData, tag.data.readableBytes == (tag.type == .video ? 13 : 10) else { return nil }
            return tag.data.getInteger(at: tag.data.writerIndex - 8, as: UInt64.self).map(Int.init)
        }
    }

    /// The frames after the metadata and sequence headers.
    var frames: [FLVTag] { tags.filter { !$0.data.readableBytesView.starts(with: [0x17, 0x00]) && !$0.data.readableBytesView.starts(with: [0xAF, 0x00]) && $0.type != .scriptData } }

    /// Whether the metadata the file carries is what a repair of the file rebuilds: the
    /// recorder completed it in place.
    var metadataIsComplete: Bool {
        var repair = FLVRepair()
        var copy = bytes
        repair.consume(&copy)
        guard let result = try? repair.finish() else { return false }
        return result.length == bytes.readableBytes
            && bytes.getSlice(at: bytes.readerIndex, length: result.bytes.readableBytes) == result.bytes
    }
}
