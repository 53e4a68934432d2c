/// A recording task (spec §7, CreateRecord): records a channel's live stream during
/// `[startTime, endTime]` (DESIGN.md §2).
public struct RecordTask: Sendable, Hashable, Codable {
    /// Assigned by the store on insert: 1, 2, 3, … (emitted as a string by the API).
    public var id: Int64
    public var channelId: String
    /// Unix seconds.
    public var startTime: Int64
    /// Unix seconds.
    public var endTime: Int64
    public var status: RecordTaskStatus
    /// Unix seconds.
    public var createdAt: Int64

    public init(id: Int64 = 0, channelId: String, startTime: Int64, endTime: Int64, status: RecordTaskStatus = .notStarted, createdAt: Int64) {
        self.id = id
        self.channelId = channelId
        self.startTime = startTime
        self.endTime = endTime
        self.status = status
        self.createdAt = createdAt
    }
}

/// A record task's `status` (spec §7, "Status / enum tables").
public enum RecordTaskStatus: Int, Sendable, Hashable, Codable, CaseIterable {
    /// 0: the window has not opened.
    case notStarted = 0
    /// 1: the window is open; the channel's stream is recorded while live.
    case running = 1
    /// 2: ended at its end time or by StopRecord.
    case finished = 2
    /// 3: ended because its channel was stopped or deleted, or recording failed.
    case abnormal = 3
}

/// A finished fragment: one standalone FLV file in the VOD library (DESIGN.md §2).
public struct RecordFragment: Sendable, Hashable, Codable {
    /// 64-bit decimal file id, as a string.
    public var fileId: String
    /// `<bizId>_<32 hex>`: the name of the file served at `<vid>.f0.flv`.
    public var vid: String
    public var taskId: Int64
    public var channelId: String
    /// Wall-clock time of the first tag, Unix milliseconds.
    public var startTime: Int64
    /// Wall-clock time of the end, Unix milliseconds.
    public var endTime: Int64
    /// Media duration, milliseconds.
    public var duration: Int64
    /// File size, bytes.
    public var size: Int64
    /// The file's path relative to the data folder.
    public var path: String
    /// The fragment was recovered after a crash.
    public var recovered: Bool

    public init(
        fileId: String, vid: String, taskId: Int64, channelId: String, startTime: Int64, endTime: Int64, duration: Int64,
        size: Int64, path: String, recovered: Bool = false
    ) {
        self.fileId = fileId
        self.vid = vid
        self.taskId = taskId
        self.channelId = channelId
        self.startTime = startTime
        self.endTime = endTime
        self.duration = duration
        self.size = size
        self.path = path
        self.recovered = recovered
    }
}

extension RecordFragment {
    /// A vid: `<decimal digits>_<32 lowercase hex>`, ASCII only.
    public static func isVid(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        guard let underscore = utf8.firstIndex(of: UInt8(ascii: "_")), underscore > 0, utf8.count - underscore - 1 == 32
        else { return false }
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        return utf8[..<underscore].allSatisfy(isDigit)
            && utf8[(underscore + 1)...].allSatisfy { isDigit($0) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }
    }
}

/// A task and the number of fragments it produced.
public struct RecordTaskSummary: Sendable, Hashable {
    public var task: RecordTask
    public var fragmentCount: Int

    public init(task: RecordTask, fragmentCount: Int) {
        self.task = task
        self.fragmentCount = fragmentCount
    }
}

/// One page of tasks and the count of all that match.
public struct RecordTaskPage: Sendable, Hashable {
    public var totalCount: Int
    public var tasks: [RecordTaskSummary]

    public init(totalCount: Int, tasks: [RecordTaskSummary]) {
        self.totalCount = totalCount
        self.tasks = tasks
    }
}

/// Which fragments to list, oldest first.
public struct FragmentQuery: Sendable, Hashable {
    /// Fragments of one task, or of one channel.
    public enum Scope: Sendable, Hashable {
        case task(Int64)
        case channel(String)
    }

    public var scope: Scope
    /// Fragments starting at or after this, Unix milliseconds.
    public var from: Int64?
    /// Fragments starting before this, Unix milliseconds.
    public var until: Int64?
    /// 1-based.
    public var pageNo: Int
    public var pageSize: Int

    public init(scope: Scope, from: Int64? = nil, until: Int64? = nil, pageNo: Int = 1, pageSize: Int = 10) {
        self.scope = scope
        self.from = from
        self.until = until
        self.pageNo = pageNo
        self.pageSize = pageSize
    }

    func matches(_ fragment: RecordFragment) -> Bool {
        switch scope {
        case .task(let id): guard fragment.taskId == id else { return false }
        case .channel(let id): guard fragment.channelId == id else { return false }
        }
        if let from, fragment.startTime < from { return false }
        if let until, fragment.startTime >= until { return false }
        return true
    }
}

/// One page of fragments and the count of all that match.
public struct FragmentPage: Sendable, Hashable {
    public var totalCount: Int
    public var fragments: [RecordFragment]

    public init(totalCount: Int, fragments: [RecordFragment]) {
        self.totalCount = totalCount
        self.fragments = fragments
    }
}
