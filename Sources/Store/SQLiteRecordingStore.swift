import Foundation
import GRDB
import Logging

/// The embedded ``RecordingStore``: one SQLite file in WAL mode, schema kept by migrations.
public final class SQLiteRecordingStore: RecordingStore {
    private let pool: DatabasePool

    /// Opens (creating if needed) the database at `path` and migrates it to the latest schema.
    /// - Throws: GRDB's errors when the file cannot be opened or migrated.
    public init(path: String, logger: Logger = Logger(label: "reel.store")) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        self.pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
        logger.debug("store opened", metadata: ["store.path": "\(path)"])
    }

    /// The schema, one registered migration per version. Never edit a shipped migration: add one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: channels") { db in
            try db.create(table: ChannelRow.databaseTableName) { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull()
                t.column("describe", .text)
                t.column("outputSourceType", .integer).notNull()
                t.column("playerPassword", .text)
                t.column("sourceName", .text).notNull()
                t.column("sourceType", .integer).notNull()
                t.column("streamId", .text).notNull().unique()
                t.column("outputRates", .text).notNull()
                t.column("watermarkId", .integer)
                t.column("status", .integer).notNull()
                t.column("createdAt", .integer).notNull()
            }
            try db.create(index: "channel_on_createdAt", on: ChannelRow.databaseTableName, columns: ["createdAt", "id"])
        }
        return migrator
    }

    public func insertChannel(_ channel: LiveChannel) async throws {
        do {
            try await pool.write { db in try ChannelRow(channel).insert(db) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw StoreError(.conflict, ids: [channel.id])
        }
    }

    public func channel(id: String) async throws -> LiveChannel? {
        try await pool.read { db in try ChannelRow.fetchOne(db, key: id)?.channel }
    }

    public func channel(streamId: String) async throws -> LiveChannel? {
        try await pool.read { db in
            try ChannelRow.filter(Column("streamId") == streamId).fetchOne(db)?.channel
        }
    }

    public func channels(_ query: ChannelQuery) async throws -> ChannelPage {
        try await pool.read { db in
            var request = ChannelRow.all()
            if let status = query.status { request = request.filter(Column("status") == status.rawValue) }
            let total = try request.fetchCount(db)
            let order =
                query.ascending
                ? [Column("createdAt").asc, Column("id").asc] : [Column("createdAt").desc, Column("id").desc]
            let rows = try request.order(order)
                .limit(query.pageSize, offset: max(0, (query.pageNo - 1) * query.pageSize))
                .fetchAll(db)
            return ChannelPage(totalCount: total, channels: rows.map(\.channel))
        }
    }

    public func updateChannel(_ channel: LiveChannel) async throws {
        try await pool.write { db in
            guard try ChannelRow.exists(db, key: channel.id) else { throw StoreError(.notFound, ids: [channel.id]) }
            try ChannelRow(channel).update(db)
        }
    }

    public func setChannelStatus(_ status: ChannelStatus, ids: [String]) async throws {
        try await pool.write { db in
            try Self.requireAll(ids, db)
            try ChannelRow.filter(keys: ids).updateAll(db, Column("status").set(to: status.rawValue))
        }
    }

    public func updateChannelStatus(id: String, from expected: ChannelStatus, to new: ChannelStatus) async throws -> Bool {
        try await pool.write { db in
            try ChannelRow.filter(key: id).filter(Column("status") == expected.rawValue)
                .updateAll(db, Column("status").set(to: new.rawValue)) == 1
        }
    }

    public func deleteChannels(ids: [String]) async throws {
        try await pool.write { db in
            try Self.requireAll(ids, db)
            try ChannelRow.deleteAll(db, keys: ids)
        }
    }

    private static func requireAll(_ ids: [String], _ db: Database) throws {
        let found = Set(try String.fetchAll(db, ChannelRow.select(Column("id")).filter(keys: ids)))
        let missing = ids.filter { !found.contains($0) }
        guard missing.isEmpty else { throw StoreError(.notFound, ids: missing) }
    }
}

/// The `channel` table's row.
struct ChannelRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "channel"

    var id: String
    var name: String
    var describe: String?
    var outputSourceType: Int
    var playerPassword: String?
    var sourceName: String
    var sourceType: Int
    var streamId: String
    /// Comma-separated rates.
    var outputRates: String
    var watermarkId: Int?
    var status: Int
    var createdAt: Int64

    init(_ channel: LiveChannel) {
        id = channel.id
        name = channel.name
        describe = channel.describe
        outputSourceType = channel.outputSourceType
        playerPassword = channel.playerPassword
        sourceName = channel.sourceName
        sourceType = channel.sourceType
        streamId = channel.streamId
        outputRates = channel.outputRates.map(String.init).joined(separator: ",")
        watermarkId = channel.watermarkId
        status = channel.status.rawValue
        createdAt = channel.createdAt
    }

    var channel: LiveChannel {
        LiveChannel(
            id: id, name: name, describe: describe, outputSourceType: outputSourceType,
            playerPassword: playerPassword, sourceName: sourceName, sourceType: sourceType, streamId: streamId,
            outputRates: outputRates.split(separator: ",").compactMap { Int($0) }, watermarkId: watermarkId,
            status: ChannelStatus(rawValue: status) ?? .noInput, createdAt: createdAt
        )
    }
}
