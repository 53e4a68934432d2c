import FLV
import Foundation
import NIOCore
import NIOPosix

/// One fragment file being written: a `….flv.part` staging file, moved into the blob store
/// once complete, so the library never holds a half-written file.
///
/// Bytes are buffered in memory and written by ``flush()``: the recorder's ticker calls it
/// every flush interval for files holding buffered bytes, and
/// ``appendTag(type:timestamp:data:)`` once ``flushThreshold`` bytes wait, so a crash loses
/// at most one interval of media and a stream holds no more than that. The file is fsynced
/// when it closes. Every blocking file call runs on NIO's blocking-I/O thread pool, never on
/// an event loop or the cooperative pool.
///
/// Media bodies are not copied: a body of ``sliceThreshold`` bytes or more is kept as the
/// buffer it arrived in, and a flush hands the buffered pieces to the kernel with one
/// gather write (`writev(2)`); only tag headers and small bodies are copied together.
///
/// Owned by one ``RecordingDriver``, which awaits each call before the next: it is never used
/// from two tasks at once.
final class FragmentFile: @unchecked Sendable {
    /// Bodies this long or longer are written from their own buffer rather than copied.
    static let sliceThreshold = 1024
    /// Buffered bytes that trigger a flush before the interval is up.
    static let flushThreshold = 1 << 20
    /// The most vectors one `writev(2)` takes on Linux (`UIO_MAXIOV`).
    static let maximumVectors = 1024

    /// The path being written (`….flv.part`).
    let partPath: String
    private let handle: FileHandle
    /// Buffered pieces in file order, then `tail`.
    private var pieces: [ByteBuffer] = []
    /// Where small writes are gathered; becomes a piece when a large body follows.
    private var tail = ByteBuffer()
    private var pendingBytes = 0
    /// Bytes appended so far, flushed or not.
    private(set) var size = 0

    private init(partPath: String, handle: FileHandle) {
        self.partPath = partPath
        self.handle = handle
    }

    /// Creates the part file (and its folder; replacing any file of that name).
    /// - Throws: when the file cannot be created.
    static func create(partPath: String) async throws -> FragmentFile {
        try await blocking {
            try FileManager.default.createDirectory(
                atPath: (partPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true
            )
            guard FileManager.default.createFile(atPath: partPath, contents: nil, attributes: [.posixPermissions: 0o644]),
                let handle = FileHandle(forUpdatingAtPath: partPath)
            else { throw RecorderError("cannot create fragment file \(partPath)") }
            return FragmentFile(partPath: partPath, handle: handle)
        }
    }

    /// Whether appended bytes wait for a flush.
    var hasPendingBytes: Bool { pendingBytes > 0 }

    func append(_ bytes: ByteBuffer) async throws {
        buffer(bytes)
        if pendingBytes >= Self.flushThreshold { try await flush() }
    }

    /// Appends one FLV tag: its header, `data` and its `PreviousTagSize`.
    func appendTag(type: FLVTagType, timestamp: UInt32, data: ByteBuffer) async throws {
        let headerLength = tail.writeFLVTagHeader(type: type, timestamp: timestamp, dataSize: data.readableBytes)
        size += headerLength
        pendingBytes += headerLength
        buffer(data)
        tail.writeInteger(UInt32(FLVTag.headerLength + data.readableBytes))
        size += FLVTag.previousTagSizeLength
        pendingBytes += FLVTag.previousTagSizeLength
        if pendingBytes >= Self.flushThreshold { try await flush() }
    }

    private func buffer(_ bytes: ByteBuffer) {
        size += bytes.readableBytes
        pendingBytes += bytes.readableBytes
        if bytes.readableBytes >= Self.sliceThreshold {
            if tail.readableBytes > 0 {
                pieces.append(tail)
                tail = ByteBuffer()
            }
            pieces.append(bytes)
        } else {
            if tail.capacity == 0 { tail.reserveCapacity(4096) }
            tail.writeImmutableBuffer(bytes)
        }
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

    /// The bytes from `offset` to the end, buffered ones included (they are written first).
    func read(from offset: Int) async throws -> ByteBuffer {
        try await flush()
        let length = size - offset
        precondition(length >= 0, "FragmentFile.read from \(offset) past the end \(size)")
        let descriptor = handle.fileDescriptor
        return try await Self.blocking {
            var buffer = ByteBufferAllocator().buffer(capacity: length)
            try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { target in
                var done = 0
                while done < length {
                    let count = pread(descriptor, target.baseAddress! + done, length - done, off_t(offset + done))
                    if count < 0 && errno == EINTR { continue }
                    guard count > 0 else {
                        throw RecorderError("cannot read back fragment file: \(count < 0 ? String(cString: strerror(errno)) : "short file")")
                    }
                    done += count
                }
                return length
            }
            return buffer
        }
    }

    /// Writes the buffered bytes, if any.
    func flush() async throws {
        guard let pieces = takePending() else { return }
        let descriptor = handle.fileDescriptor
        try await Self.blocking { try Self.write(pieces, to: descriptor) }
    }

    /// The buffered pieces in order, leaving nothing buffered; `nil` when there are none.
    private func takePending() -> [ByteBuffer]? {
        guard pendingBytes > 0 else { return nil }
        var taken = pieces
        if tail.readableBytes > 0 { taken.append(tail) }
        pieces = []
        tail = ByteBuffer()
        pendingBytes = 0
        return taken
    }

    /// Writes `pieces` in order at the descriptor's offset with as few `writev(2)` calls as
    /// the kernel allows (``maximumVectors`` pieces each, continuing after short writes).
    static func write(_ pieces: [ByteBuffer], to descriptor: Int32) throws {
        // The buffers are held by `pieces` and not mutated, so their storage stays put while
        // the vectors point into it.
        var vectors: [iovec] = []
        vectors.reserveCapacity(min(pieces.count, Self.maximumVectors))
        var index = 0
        while index < pieces.count {
            vectors.removeAll(keepingCapacity: true)
            var batchBytes = 0
            while index < pieces.count && vectors.count < Self.maximumVectors {
                pieces[index].withUnsafeReadableBytes { bytes in
                    vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count))
                    batchBytes += bytes.count
                }
                index += 1
            }
            var first = 0
            while batchBytes > 0 {
                let written = vectors[first...].withUnsafeBufferPointer { writev(descriptor, $0.baseAddress, Int32($0.count)) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw RecorderError("cannot write fragment file: \(String(cString: strerror(errno)))")
                }
                batchBytes -= written
                // Skip the vectors written in full; shorten the first one written in part.
                var remaining = written
                while remaining > 0 && remaining >= vectors[first].iov_len {
                    remaining -= vectors[first].iov_len
                    first += 1
                }
                if remaining > 0 {
                    vectors[first].iov_base = vectors[first].iov_base.map { $0 + remaining }
                    vectors[first].iov_len -= remaining
                }
            }
        }
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
        if let pieces = takePending() { try? Self.write(pieces, to: handle.fileDescriptor) }
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
