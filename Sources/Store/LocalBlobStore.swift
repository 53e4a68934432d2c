import Foundation
import NIOPosix

/// The default ``BlobStore``: files in the data folder, sharded two levels deep by the random
/// hex of the vid, `library/<hex 0-1>/<hex 2-3>/<vid>.flv`.
///
/// 65,536 shard folders keep each folder to a few dozen entries at a million fragments and a
/// few thousand at a hundred million. A blob arrives by `rename(2)` from a staging file in the
/// same data folder, then the shard folder is fsynced so the move survives a power cut.
/// Quarantined blobs go to `lost+found/<vid>.flv`. Every file call runs on NIO's blocking-I/O
/// thread pool.
public struct LocalBlobStore: BlobStore {
    /// The data folder; blobs are under `<data>/library`.
    public let dataDirectory: String

    /// The library folder's name in the data folder.
    public static let libraryFolder = "library"
    /// The quarantine folder's name in the data folder.
    public static let quarantineFolder = "lost+found"

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    /// `library/<hex 0-1>/<hex 2-3>/<vid>.flv`, relative to the data folder; for a key that
    /// is not a vid, a path no lookup matches (callers check keys first).
    public func location(of key: String) -> String {
        guard let shard = Self.shard(of: key) else { return "\(Self.libraryFolder)/invalid/\(key).flv" }
        return "\(Self.libraryFolder)/\(shard.0)/\(shard.1)/\(key).flv"
    }

    /// The two shard folder names of a vid: the first four hex digits after the `_`.
    static func shard(of key: String) -> (Substring, Substring)? {
        guard RecordFragment.isVid(key), let underscore = key.firstIndex(of: "_") else { return nil }
        let hex = key[key.index(after: underscore)...]
        return (hex.prefix(2), hex.dropFirst(2).prefix(2))
    }

    private func absolute(_ relative: String) -> String {
        (dataDirectory as NSString).appendingPathComponent(relative)
    }

    public func put(_ key: String, from localPath: String) async throws {
        guard RecordFragment.isVid(key) else { throw BlobStoreError("'\(key)' is not a vid") }
        let destination = absolute(location(of: key))
        try await Self.blocking {
            let folder = (destination as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            guard rename(localPath, destination) == 0 else {
                throw BlobStoreError("cannot move \(localPath) to \(destination): \(String(cString: strerror(errno)))")
            }
            Self.synchronizeFolder(folder)
        }
    }

    public func contains(_ key: String) async throws -> Bool {
        guard RecordFragment.isVid(key) else { return false }
        let path = absolute(location(of: key))
        return try await Self.blocking { FileManager.default.fileExists(atPath: path) }
    }

    public func remove(_ key: String) async throws {
        guard RecordFragment.isVid(key) else { return }
        let path = absolute(location(of: key))
        try await Self.blocking {
            guard unlink(path) == 0 || errno == ENOENT else {
                throw BlobStoreError("cannot remove \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    public func quarantine(_ key: String) async throws -> String {
        guard RecordFragment.isVid(key) else { throw BlobStoreError("'\(key)' is not a vid") }
        let source = absolute(location(of: key))
        let relative = "\(Self.quarantineFolder)/\(key).flv"
        let destination = absolute(relative)
        try await Self.blocking {
            try FileManager.default.createDirectory(
                atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true
            )
            guard rename(source, destination) == 0 else {
                throw BlobStoreError("cannot move \(source) to \(destination): \(String(cString: strerror(errno)))")
            }
        }
        return relative
    }

    /// One batch per shard folder, in hex order.
    public func forEachKeyBatch(_ body: ([String]) async throws -> Void) async throws {
        let library = absolute(Self.libraryFolder)
        for first in try await Self.hexFolders(in: library) {
            for second in try await Self.hexFolders(in: "\(library)/\(first)") {
                let folder = "\(library)/\(first)/\(second)"
                let names = try await Self.blocking { (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] }
                let keys = names.compactMap { name -> String? in
                    guard name.hasSuffix(".flv") else { return nil }
                    let key = String(name.dropLast(4))
                    guard let shard = Self.shard(of: key), shard.0 == first, shard.1 == second else { return nil }
                    return key
                }
                if !keys.isEmpty { try await body(keys.sorted()) }
            }
        }
    }

    /// The two-hex-digit folder names in `folder`, sorted.
    private static func hexFolders(in folder: String) async throws -> [String] {
        try await blocking {
            ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { name in
                name.utf8.count == 2 && name.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
            }.sorted()
        }
    }

    /// Makes a rename in `folder` durable.
    private static func synchronizeFolder(_ folder: String) {
        let descriptor = open(folder, O_RDONLY)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    private static func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(work)
    }
}
