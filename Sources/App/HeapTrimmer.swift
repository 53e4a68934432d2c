import CHeapStats
import Foundation
import Logging
import ServiceLifecycle

/// Gives memory the C allocator keeps after a load back to the system.
///
/// glibc's allocator keeps freed memory in its arenas (one per thread that allocates, up to
/// eight per core) and returns only what lies at the top of one; media buffers are allocated
/// on the event loops and freed on the recorder's threads, so after a burst of fast publishers
/// a process held about 600 MiB resident with 23 MiB in use, and kept it while idle. Every
/// ``Configuration/interval`` this service compares the resident anonymous memory with what
/// the allocator has handed out; when more than ``Configuration/threshold`` is resident but
/// unused, it asks the allocator to release free pages (`malloc_trim(0)`).
///
/// Elsewhere than Linux with glibc 2.33 or later it does nothing.
public struct HeapTrimmer: Service {
    public struct Configuration: Sendable {
        /// How often to check. Default 10 s.
        public var interval: Duration
        /// Resident but unused bytes above which free pages are released. Default 32 MiB.
        public var threshold: Int

        public init(interval: Duration = .seconds(10), threshold: Int = 32 << 20) {
            self.interval = interval
            self.threshold = threshold
        }
    }

    /// The allocator's totals.
    public struct HeapStatistics: Sendable, Equatable {
        /// Bytes handed out from the arenas.
        public var inUse: Int
        /// Bytes handed out as their own mappings.
        public var mapped: Int
        /// Bytes in free chunks the arenas keep, resident or not.
        public var free: Int

        public init(inUse: Int, mapped: Int, free: Int) {
            self.inUse = inUse
            self.mapped = mapped
            self.free = free
        }
    }

    public let configuration: Configuration
    private let logger: Logger

    public init(configuration: Configuration = .init(), logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let interval = configuration.interval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            trimIfWorthwhile()
        }
    }

    /// Releases free pages when more than the threshold is resident but unused.
    /// - Returns: The resident bytes given back, or `nil` when there was nothing worth it (or
    ///   the platform cannot tell).
    @discardableResult
    public func trimIfWorthwhile() -> Int? {
        guard let resident = Self.residentAnonymousBytes(), let heap = Self.heapStatistics(),
            Self.shouldTrim(residentAnonymous: resident, heap: heap, threshold: configuration.threshold)
        else { return nil }
        _ = reel_heap_trim()
        let released = max(resident - (Self.residentAnonymousBytes() ?? resident), 0)
        logger.debug(
            "returned free heap memory to the system",
            metadata: ["heap.released.bytes": "\(released)", "heap.in_use.bytes": "\(heap.inUse + heap.mapped)"]
        )
        return released
    }

    /// Whether the allocator keeps enough free memory resident to be worth releasing: resident
    /// anonymous memory beyond what it has handed out (thread stacks and other mappings are
    /// in that difference too, a few MiB) and free chunks of at least that much.
    public static func shouldTrim(residentAnonymous: Int, heap: HeapStatistics, threshold: Int) -> Bool {
        let unused = residentAnonymous - heap.inUse - heap.mapped
        return unused > threshold && heap.free > threshold
    }

    /// The allocator's totals, or `nil` when the C library does not report them.
    public static func heapStatistics() -> HeapStatistics? {
        var isAvailable: Int32 = 0
        let stats = reel_heap_stats_read(&isAvailable)
        guard isAvailable != 0 else { return nil }
        return HeapStatistics(inUse: Int(stats.inUse), mapped: Int(stats.mapped), free: Int(stats.free))
    }

    /// The process's resident anonymous memory (`RssAnon` in `/proc/self/status`), or `nil`
    /// where there is no such file.
    public static func residentAnonymousBytes() -> Int? {
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/status") else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd(), let text = String(data: data, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("RssAnon:") {
            // "RssAnon:	    5520 kB"
            let fields = line.dropFirst("RssAnon:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count == 2, fields[1] == "kB", let kibibytes = Int(fields[0]) else { return nil }
            return kibibytes * 1024
        }
        return nil
    }
}
