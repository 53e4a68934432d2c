/// Where the bytes of finished fragments live, apart from their metadata (DESIGN.md: the VOD
/// library). A blob is immutable once stored and named by its fragment's vid.
///
/// The recorder writes a fragment in a staging file of its own, completes it, registers it in
/// the ``RecordingStore`` with the ``location(of:)`` of its key, then ``put(_:from:)``s it:
/// the move is atomic, so a reader finds the whole file or nothing. A crash between the two
/// leaves the staging file, which start-up recovery registers or moves again; blobs and rows
/// that still disagree are fixed by the recorder's library reconciliation.
public protocol BlobStore: Sendable {
    /// What ``RecordFragment/path`` records for a blob: a path relative to the data folder.
    func location(of key: String) -> String

    /// Moves a finished file into the store as `key`, replacing any blob of that key.
    /// - Parameter localPath: a file on the same file system as the store (renamed, not copied).
    /// - Throws: ``BlobStoreError`` when the key is not a vid or the move fails.
    func put(_ key: String, from localPath: String) async throws

    /// Whether a blob of that key is stored.
    func contains(_ key: String) async throws -> Bool

    /// Removes a blob; does nothing when it is not stored.
    func remove(_ key: String) async throws

    /// Moves a blob out of the library into a quarantine folder, for a person to look at.
    /// - Returns: where it went.
    func quarantine(_ key: String) async throws -> String

    /// Calls `body` with every stored key, a batch at a time, in a stable order.
    func forEachKeyBatch(_ body: ([String]) async throws -> Void) async throws
}

/// A blob store operation that failed.
public struct BlobStoreError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
