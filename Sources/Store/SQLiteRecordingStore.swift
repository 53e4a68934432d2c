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

    /// Opens an existing database for reading only, as `reel fragments check` does beside a
    /// running server: nothing is created, migrated or written.
    /// - Throws: GRDB's errors when the file is missing or unreadable; ``StoreError/Code/notFound``
    ///   when it is not a Reel store of this version's schema.
    public init(readingAt path: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        self.pool = try DatabasePool(path: path, configuration: configuration)
        guard try pool.read({ try Self.migrator.hasCompletedMigrations($0) }) else {
            throw StoreError(.notFound, ids: [path])
        }
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
        migrator.registerMigration("v2: recording") { db in
            try db.create(table: TaskRow.databaseTableName) { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("channelId", .text).notNull()
                t.column("startTime", .integer).notNull()
                t.column("endTime", .integer).notNull()
                t.column("status", .integer).notNull()
                t.column("createdAt", .integer).notNull()
            }
            try db.create(index: "recordTask_on_channelId", on: TaskRow.databaseTableName, columns: ["channelId", "id"])
            try db.create(index: "recordTask_on_status", on: TaskRow.databaseTableName, columns: ["status", "id"])
            try db.create(table: FragmentRow.databaseTableName) { t in
                t.primaryKey("fileId", .text)
                t.column("vid", .text).notNull().unique()
                t.column("taskId", .integer).notNull()
                t.column("channelId", .text).notNull()
                t.column("startTime", .integer).notNull()
                t.column("endTime", .integer).notNull()
                t.column("duration", .integer).notNull()
                t.column("size", .integer).notNull()
                t.column("path", .text).notNull()
                t.column("recovered", .boolean).notNull()
            }
            try db.create(
                index: "fragment_on_taskId", on: FragmentRow.databaseTableName, columns: ["taskId", "startTime", "fileId"]
            )
            try db.create(
                index: "fragment_on_channelId", on: FragmentRow.databaseTableName, columns: ["channelId", "startTime", "fileId"]
            )
        }
        migrator.registerMigration("v3: outbox") { db in
            try db.create(table: OutboxRow.databaseTableName) { t in
                t.autoIncrementedPrimaryKey("sequence")
                t.column("eventId", .text).notNull().unique()
                t.column("type", .integer).notNull()
                t.column("payload", .text).notNull()
                t.column("createdAt", .integer).notNull()
                t.column("attempts", .integer).notNull()
                t.column("nextAttemptAt", .integer).notNull()
                t.column("lastError", .text)
            }
        }
        migrator.registerMigration("v4: fragment tallies") { db in
            // Listing totals in constant or day-bounded time at millions of fragments: a count
            // per task, and per channel and UTC day of the start time.
            try db.alter(table: TaskRow.databaseTableName) { t in
                t.add(column: "fragmentCount", .integer).notNull().defaults(to: 0)
            }
            try db.execute(
                sql: "UPDATE recordTask SET fragmentCount = (SELECT COUNT(*) FROM fragment WHERE taskId = recordTask.id)"
            )
            try db.create(table: "fragmentDay", options: .withoutRowID) { t in
                t.column("channelId", .text).notNull()
                t.column("day", .integer).notNull()
                t.column("count", .integer).notNull()
                t.primaryKey(["channelId", "day"])
            }
            try db.execute(
                sql: "INSERT INTO fragmentDay (channelId, day, count) SELECT channelId, startTime / \(Self.dayMilliseconds), COUNT(*) FROM fragment GROUP BY 1, 2"
            )
        }
        return migrator
    }

    /// Milliseconds per UTC day: the bucket of the per-channel fragment tallies.
    static let dayMilliseconds: Int64 = 86_400_000

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

    public func channels(ids: Set<String>) async throws -> [String: LiveChannel] {
        guard !ids.isEmpty else { return [:] }
        let ids = Array(ids)
        return try await pool.read { db in
            var found: [String: LiveChannel] = [:]
            // In batches, well under SQLite's limit on bound parameters.
            for start in stride(from: 0, to: ids.count, by: 500) {
                let batch = ids[start..<min(start + 500, ids.count)]
                for row in try ChannelRow.fetchAll(db, keys: Array(batch)) { found[row.channel.id] = row.channel }
            }
            return found
        }
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

    public func updateChannelStatus(
        id: String, from expected: ChannelStatus, to new: ChannelStatus, events: [OutboxEvent]
    ) async throws -> Bool {
        try await pool.write { db in
            let changed =
                try ChannelRow.filter(key: id).filter(Column("status") == expected.rawValue)
                .updateAll(db, Column("status").set(to: new.rawValue)) == 1
            if changed { try Self.enqueue(events, db) }
            return changed
        }
    }

    public func deleteChannels(ids: [String]) async throws {
        try await pool.write { db in
            try Self.requireAll(ids, db)
            try ChannelRow.deleteAll(db, keys: ids)
        }
    }

    // MARK: Recording tasks and fragments

    public func insertTask(_ task: RecordTask) async throws -> RecordTask {
        try await pool.write { db in
            var row = TaskRow(task)
            row.id = nil
            try row.insert(db)
            var inserted = task
            inserted.id = db.lastInsertedRowID
            return inserted
        }
    }

    public func task(id: Int64) async throws -> RecordTask? {
        try await pool.read { db in try TaskRow.fetchOne(db, key: id)?.task }
    }

    public func tasks(channelId: String, pageNo: Int, pageSize: Int) async throws -> RecordTaskPage {
        try await pool.read { db in
            let request = TaskRow.filter(Column("channelId") == channelId)
            let total = try request.fetchCount(db)
            let rows = try request.order(Column("id").asc).limit(pageSize, offset: max(0, (pageNo - 1) * pageSize)).fetchAll(db)
            return RecordTaskPage(
                totalCount: total,
                tasks: try rows.map { row in
                    let count =
                        try Int.fetchOne(db, sql: "SELECT fragmentCount FROM recordTask WHERE id = ?", arguments: [row.id])
                    return RecordTaskSummary(task: row.task, fragmentCount: count ?? 0)
                }
            )
        }
    }

    public func tasks(statuses: Set<RecordTaskStatus>) async throws -> [RecordTask] {
        try await pool.read { db in
            try TaskRow.filter(statuses.map(\.rawValue).contains(Column("status"))).order(Column("id")).fetchAll(db).map(\.task)
        }
    }

    public func updateTaskStatus(id: Int64, from expected: Set<RecordTaskStatus>, to new: RecordTaskStatus) async throws -> Bool {
        try await pool.write { db in
            try TaskRow.filter(key: id).filter(expected.map(\.rawValue).contains(Column("status")))
                .updateAll(db, Column("status").set(to: new.rawValue)) == 1
        }
    }

    public func deleteTask(id: Int64) async throws {
        try await pool.write { db in
            guard try TaskRow.deleteOne(db, key: id) else { throw StoreError(.notFound, ids: [String(id)]) }
        }
    }

    public func insertFragment(_ fragment: RecordFragment, events: [OutboxEvent]) async throws {
        do {
            try await pool.write { db in
                try FragmentRow(fragment).insert(db)
                try Self.tally(fragment, by: 1, db)
                try Self.enqueue(events, db)
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw StoreError(.conflict, ids: [fragment.vid])
        }
    }

    public func fragments(_ query: FragmentQuery) async throws -> FragmentPage {
        try await pool.read { db in
            var request: QueryInterfaceRequest<FragmentRow>
            switch query.scope {
            case .task(let id): request = FragmentRow.filter(Column("taskId") == id)
            case .channel(let id): request = FragmentRow.filter(Column("channelId") == id)
            }
            if let from = query.from { request = request.filter(Column("startTime") >= from) }
            if let until = query.until { request = request.filter(Column("startTime") < until) }
            let total: Int
            switch query.scope {
            case .task(let id) where query.from == nil && query.until == nil:
                let tallied = try Int.fetchOne(db, sql: "SELECT fragmentCount FROM recordTask WHERE id = ?", arguments: [id])
                total = try tallied ?? request.fetchCount(db)  // a deleted task's fragments are counted
            case .channel(let id):
                total = try Self.channelFragmentCount(id, from: query.from, until: query.until, db)
            default:
                total = try request.fetchCount(db)
            }
            let rows = try request.order(Column("startTime").asc, Column("fileId").asc)
                .limit(query.pageSize, offset: max(0, (query.pageNo - 1) * query.pageSize))
                .fetchAll(db)
            return FragmentPage(totalCount: total, fragments: rows.map(\.fragment))
        }
    }

    public func fragment(vid: String) async throws -> RecordFragment? {
        try await pool.read { db in try FragmentRow.filter(Column("vid") == vid).fetchOne(db)?.fragment }
    }

    // MARK: Library reconciliation

    public func fragments(afterVid vid: String?, limit: Int) async throws -> [RecordFragment] {
        try await pool.read { db in
            var request = FragmentRow.order(Column("vid"))
            if let vid { request = request.filter(Column("vid") > vid) }
            return try request.limit(limit).fetchAll(db).map(\.fragment)
        }
    }

    public func registeredVids(_ vids: [String]) async throws -> Set<String> {
        try await pool.read { db in
            Set(try String.fetchAll(db, FragmentRow.select(Column("vid")).filter(vids.contains(Column("vid")))))
        }
    }

    public func deleteFragment(vid: String) async throws {
        try await pool.write { db in
            guard let row = try FragmentRow.filter(Column("vid") == vid).fetchOne(db) else {
                throw StoreError(.notFound, ids: [vid])
            }
            try row.delete(db)
            try Self.tally(row.fragment, by: -1, db)
        }
    }

    // MARK: Event outbox

    public func enqueueEvents(_ events: [OutboxEvent]) async throws {
        try await pool.write { db in try Self.enqueue(events, db) }
    }

    public func queuedEvents(limit: Int) async throws -> [OutboxEvent] {
        try await pool.read { db in
            try OutboxRow.order(Column("sequence")).limit(limit).fetchAll(db).map(\.event)
        }
    }

    public func deleteEvent(sequence: Int64) async throws {
        try await pool.write { db in _ = try OutboxRow.deleteOne(db, key: sequence) }
    }

    public func rescheduleEvent(sequence: Int64, attempts: Int, nextAttemptAt: Int64, lastError: String) async throws {
        try await pool.write { db in
            _ = try OutboxRow.filter(key: sequence).updateAll(
                db, Column("attempts").set(to: attempts), Column("nextAttemptAt").set(to: nextAttemptAt),
                Column("lastError").set(to: String(lastError.prefix(1000)))
            )
        }
    }

    public func queuedEventCount() async throws -> Int {
        try await pool.read { db in try OutboxRow.fetchCount(db) }
    }

    /// Moves the task's and the channel-day's fragment counts by `delta`.
    private static func tally(_ fragment: RecordFragment, by delta: Int, _ db: Database) throws {
        try db.execute(
            sql: "UPDATE recordTask SET fragmentCount = fragmentCount + ? WHERE id = ?", arguments: [delta, fragment.taskId]
        )
        try db.execute(
            sql: """
                INSERT INTO fragmentDay (channelId, day, count) VALUES (?, ?, ?)
                ON CONFLICT (channelId, day) DO UPDATE SET count = count + excluded.count
                """,
            arguments: [fragment.channelId, fragment.startTime / dayMilliseconds, delta]
        )
    }

    /// The number of a channel's fragments starting in `[from, until)`: whole UTC days from the
    /// tallies, the partial days at either end from the index.
    private static func channelFragmentCount(_ channelId: String, from: Int64?, until: Int64?, _ db: Database) throws -> Int {
        let day = dayMilliseconds
        let firstWholeDay = from.map { ($0 + day - 1) / day } ?? Int64.min
        let endWholeDay = until.map { $0 / day } ?? Int64.max
        func exact(_ lower: Int64?, _ upper: Int64?) throws -> Int {
            var request = FragmentRow.filter(Column("channelId") == channelId)
            if let lower { request = request.filter(Column("startTime") >= lower) }
            if let upper { request = request.filter(Column("startTime") < upper) }
            return try request.fetchCount(db)
        }
        guard firstWholeDay < endWholeDay else { return try exact(from, until) }
        let whole =
            try Int.fetchOne(
                db,
                sql: "SELECT COALESCE(SUM(count), 0) FROM fragmentDay WHERE channelId = ? AND day >= ? AND day < ?",
                arguments: [channelId, firstWholeDay, endWholeDay]
            ) ?? 0
        let head = try from.map { try exact($0, firstWholeDay * day) } ?? 0
        let tail = try until.map { try exact(endWholeDay * day, $0) } ?? 0
        return whole + head + tail
    }

    private static func enqueue(_ events: [OutboxEvent], _ db: Database) throws {
        for event in events {
            var row = OutboxRow(event)
            row.sequence = nil
            try row.insert(db)
        }
    }

    /// SQLite's query plan for `sql`, one step per line (tests check listings use indexes).
    func queryPlan(_ sql: String) async throws -> String {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql).map { $0["detail"] as String? ?? "" }.joined(separator: "\n")
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

/// The `recordTask` table's row.
struct TaskRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "recordTask"

    var id: Int64?
    var channelId: String
    var startTime: Int64
    var endTime: Int64
    var status: Int
    var createdAt: Int64

    init(_ task: RecordTask) {
        id = task.id
        channelId = task.channelId
        startTime = task.startTime
        endTime = task.endTime
        status = task.status.rawValue
        createdAt = task.createdAt
    }

    var task: RecordTask {
        RecordTask(
            id: id ?? 0, channelId: channelId, startTime: startTime, endTime: endTime,
            status: RecordTaskStatus(rawValue: status) ?? .abnormal, createdAt: createdAt
        )
    }
}

/// The `fragment` table's row.
struct FragmentRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "fragment"

    var fileId: String
    var vid: String
    var taskId: Int64
    var channelId: String
    var startTime: Int64
    var endTime: Int64
    var duration: Int64
    var size: Int64
    var path: String
    var recovered: Bool

    init(_ fragment: RecordFragment) {
        fileId = fragment.fileId
        vid = fragment.vid
        taskId = fragment.taskId
        channelId = fragment.channelId
        startTime = fragment.startTime
        endTime = fragment.endTime
        duration = fragment.duration
        size = fragment.size
        path = fragment.path
        recovered = fragment.recovered
    }

    var fragment: RecordFragment {
        RecordFragment(
            fileId: fileId, vid: vid, taskId: taskId, channelId: channelId, startTime: startTime, endTime: endTime,
            duration: duration, size: size, path: path, recovered: recovered
        )
    }
}

/// The `outbox` table's row.
struct OutboxRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "outbox"

    var sequence: Int64?
    var eventId: String
    var type: Int
    var payload: String
    var createdAt: Int64
    var attempts: Int
    var nextAttemptAt: Int64
    var lastError: String?

    init(_ event: OutboxEvent) {
        sequence = event.sequence
        eventId = event.eventId
        type = event.type
        payload = event.payload
        createdAt = event.createdAt
        attempts = event.attempts
        nextAttemptAt = event.nextAttemptAt
        lastError = event.lastError
    }

    var event: OutboxEvent {
        OutboxEvent(
            sequence: sequence ?? 0, eventId: eventId, type: type, payload: payload, createdAt: createdAt,
            attempts: attempts, nextAttemptAt: nextAttemptAt, lastError: lastError
        )
    }
}
