import Foundation
import NIOCore
import NIOPosix

/// One fragment file being written: a `….flv.part` staging file, moved into the blob store
/// once complete, so the library never holds a half-written file.
///
/// Bytes are buffered in memory and written by ``flushIfDue(now:)`` at least every flush
/// interval (the recorder's ticker calls it), so a crash loses at most that much; the file is
/// fsynced when it closes. Every blocking file call runs on NIO's blocking-I/O thread pool,
/// never on an event loop or the cooperative pool.
///
/// Owned by one ``RecordingDriver``, which awaits each call before the next: it is never used
/// from two tasks at once.
final class FragmentFile: @unchecked Sendable {
    /// The path being written (`….flv.part`).
    let partPath: String
    private let handle: FileHandle
    private var pending = ByteBuffer()
    private var lastFlush: ContinuousClock.Instant
    private let flushInterval: Duration
    /// Bytes appended so far, flushed or not.
    private(set) var size = 0

    private init(partPath: String, handle: FileHandle, flushInterval: Duration) {
        self.partPath = partPath
        self.handle = handle
        self.flushInterval = flushInterval
        self.lastFlush = .now
    }

    /// Creates the part file (and its folder; replacing any file of that name).
    /// - Throws: when the file cannot be created.
    static func create(partPath: String, flushInterval: Duration) async throws -> FragmentFile {
        try await blocking {
            try FileManager.default.createDirectory(
                atPath: (partPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true
            )
            guard FileManager.default.createFile(atPath: partPath, contents: nil, attributes: [.posixPermissions: 0o644]),
                let handle = FileHandle(forWritingAtPath: partPath)
            else { throw RecorderError("cannot create fragment file \(partPath)") }
            return FragmentFile(partPath: partPath, handle: handle, flushInterval: flushInterval)
        }
    }

    func append(_ bytes: ByteBuffer) async throws {
        size += bytes.readableBytes
        var bytes = bytes
        pending.writeBuffer(&bytes)
        if pending.readableBytes >= 1 << 20 { try await flush() }
    }

    /// Drops everything from `offset` on; later appends continue from there.
    func truncate(to offset: Int) async throws {
        try await flush()
        let handle = self.handle
        try await Self.blocking {
            try handle.truncate(atOffset: UInt64(offset))
            try handle.seek(toOffset: UInt64(offset))
        }
        size = offset
    }

    /// Writes buffered bytes when the flush interval has passed since the last write.
    func flushIfDue(now: ContinuousClock.Instant = .now) async throws {
        if now - lastFlush >= flushInterval { try await flush() }
    }

    func flush() async throws {
        lastFlush = .now
        guard pending.readableBytes > 0 else { return }
        let bytes = pending
        pending = ByteBuffer()
        let handle = self.handle
        try await Self.blocking { try bytes.withUnsafeReadableBytes { try handle.write(contentsOf: $0) } }
    }

    /// Writes everything, then `bytes` at `offset`, truncates to `length`, fsyncs and closes;
    /// the caller registers the fragment, then moves ``partPath`` into the blob store.
    func complete(writing bytes: ByteBuffer, at offset: Int, length: Int) async throws {
        try await flush()
        let handle = self.handle
        try await Self.blocking { try Self.complete(handle, writing: bytes, at: offset, length: length) }
    }

    /// Closes without completing (the recorder is failing); the part file stays for recovery.
    func abandon() {
        try? pending.withUnsafeReadableBytes { try handle.write(contentsOf: $0) }
        pending.clear()
        try? handle.close()
    }

    static func complete(_ handle: FileHandle, writing bytes: ByteBuffer, at offset: Int, length: Int) throws {
        try handle.seek(toOffset: UInt64(offset))
        try bytes.withUnsafeReadableBytes { try handle.write(contentsOf: $0) }
        try handle.truncate(atOffset: UInt64(length))
        try handle.synchronize()
        try handle.close()
    }

    /// Runs blocking file work on NIO's thread pool for blocking I/O.
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(work)
    }
}

/// A recorder failure: a file that cannot be written or a fragment that cannot be registered.
public struct RecorderError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}
