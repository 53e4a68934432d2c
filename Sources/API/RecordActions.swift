import LVB
import Store

/// The recording actions of spec §7: CreateRecord, StopRecord, DeleteRecord,
/// DescribeRecordList, DescribeRecord, GetVodRecordFiles.
///
/// Tasks are only written to the store; the scheduler starts and ends them (DESIGN.md §2).
public struct RecordActions: Sendable {
    /// What the actions need for defaults, times and play URLs.
    public struct Settings: Sendable {
        /// The zone of date-times in parameters and answers. Default UTC+8.
        public var timeZone: LVBTimeZone
        /// The host put into play URLs; `nil` uses the host the client called.
        public var publicHost: String?
        /// Where the servers listen (read for every answer, so a port picked at bind time shows).
        public var ports: ListeningPorts
        public var httpPort: Int { ports.http }
        /// Replaces `http://<host>:<http-port>` in play URLs when set (`--vod-base-url`).
        public var vodBaseURL: String?
        /// CreateRecord's default start: now plus this many seconds. Default 120 (spec §7).
        public var defaultStartDelay: Int64
        /// A start at most this many seconds in the past starts now; further back is an
        /// error. Default 300.
        public var startGrace: Int64
        /// CreateRecord's default window length, seconds. Default 86,400 (one day).
        public var defaultDuration: Int64
        /// When set, play URLs carry `t` and `sign` (``LVBPlayAuth``) and only signed ones play.
        public var playKey: String?
        /// How long a returned signed play URL stays valid, seconds. Default 86,400.
        public var playURLLifetime: Int64

        public init(
            timeZone: LVBTimeZone = .chinaStandardTime, publicHost: String? = nil,
            ports: ListeningPorts = ListeningPorts(http: 8080, rtmp: 1935),
            vodBaseURL: String? = nil, defaultStartDelay: Int64 = 120, startGrace: Int64 = 300,
            defaultDuration: Int64 = 86_400, playKey: String? = nil, playURLLifetime: Int64 = 86_400
        ) {
            self.playKey = playKey
            self.playURLLifetime = playURLLifetime
            self.timeZone = timeZone
            self.publicHost = publicHost
            self.ports = ports
            self.vodBaseURL = vodBaseURL
            self.defaultStartDelay = defaultStartDelay
            self.startGrace = startGrace
            self.defaultDuration = defaultDuration
        }
    }

    public let store: any RecordingStore
    public let settings: Settings

    public init(store: any RecordingStore, settings: Settings) {
        self.store = store
        self.settings = settings
    }

    /// The handlers by action name.
    public var handlers: [String: LVBActionHandler] {
        [
            "CreateRecord": create,
            "StopRecord": stop,
            "DeleteRecord": delete,
            "DescribeRecordList": describeList,
            "DescribeRecord": describe,
            "GetVodRecordFiles": vodFiles,
        ]
    }

    // MARK: Actions

    @Sendable func create(_ request: LVBActionRequest) async throws -> LVBFields {
        let p = request.parameters
        let channel = try await existingChannel(p)
        let now = request.now
        var start = now + settings.defaultStartDelay
        if let text = nonEmpty(p.first(of: "startTime", "start_time")) {
            start = try time(text, parameter: "startTime")
            guard start >= now - settings.startGrace else {
                throw LVBError(
                    .invalidParameter, .invalidRecordTime,
                    "startTime '\(text)' is more than \(settings.startGrace) seconds in the past "
                        + "(now is \(LVBTime.format(now, in: settings.timeZone)), zone \(settings.timeZone))"
                )
            }
            start = max(start, now)
        }
        var end = start + settings.defaultDuration
        if let text = nonEmpty(p.first(of: "endTime", "end_time")) {
            end = try time(text, parameter: "endTime")
            guard end > start else {
                throw LVBError(
                    .invalidParameter, .invalidRecordTime,
                    "endTime '\(text)' is not after the start (\(LVBTime.format(start, in: settings.timeZone)), zone \(settings.timeZone))"
                )
            }
        }
        let task = try await store.insertTask(RecordTask(channelId: channel.id, startTime: start, endTime: end, createdAt: now))
        return [("task_id", .string(String(task.id)))]
    }

    @Sendable func stop(_ request: LVBActionRequest) async throws -> LVBFields {
        let task = try await existingTask(request.parameters)
        // A task that already ended stays as it is.
        _ = try await store.updateTaskStatus(id: task.id, from: [.notStarted, .running], to: .finished)
        return []
    }

    @Sendable func delete(_ request: LVBActionRequest) async throws -> LVBFields {
        let task = try await existingTask(request.parameters)
        do {
            try await store.deleteTask(id: task.id)
        } catch let error as StoreError where error.code == .notFound {
            throw Self.taskDoesNotExist(String(task.id))
        }
        return []
    }

    @Sendable func describeList(_ request: LVBActionRequest) async throws -> LVBFields {
        let p = request.parameters
        let channel = try await existingChannel(p)
        let pageNo = try p.integer("pageNo", in: 1...1_000_000) ?? 1
        let pageSize = try p.integer("pageSize", in: 1...100) ?? 10
        let page = try await store.tasks(channelId: channel.id, pageNo: pageNo, pageSize: pageSize)
        return [
            ("totalCount", .int(Int64(page.totalCount))),
            (
                "taskSet",
                .array(
                    page.tasks.map { summary in
                        .object([
                            ("id", .string(String(summary.task.id))),
                            ("startTime", .string(LVBTime.format(summary.task.startTime, in: settings.timeZone))),
                            ("endTime", .string(LVBTime.format(summary.task.endTime, in: settings.timeZone))),
                            ("status", .int(Int64(summary.task.status.rawValue))),
                            ("count", .int(Int64(summary.fragmentCount))),
                        ])
                    }
                )
            ),
        ]
    }

    @Sendable func describe(_ request: LVBActionRequest) async throws -> LVBFields {
        let p = request.parameters
        let task = try await existingTask(p)
        let channel = try await store.channel(id: task.channelId)
        let pageNo = try p.integer("pageNo", in: 1...1_000_000) ?? 1
        let pageSize = try p.integer("pageSize", in: 1...100) ?? 10
        let page = try await store.fragments(FragmentQuery(scope: .task(task.id), pageNo: pageNo, pageSize: pageSize))
        return [
            ("totalCount", .int(Int64(page.totalCount))),
            ("fileSet", .array(page.fragments.map { fragmentFields($0, channelName: channel?.name, request: request) })),
        ]
    }

    @Sendable func vodFiles(_ request: LVBActionRequest) async throws -> LVBFields {
        let p = request.parameters
        let channel = try await existingChannel(p)
        let startText = try p.required("startTime")
        let from = try time(startText, parameter: "startTime")
        var until: Int64?
        if let text = nonEmpty(p["endTime"]) {
            let end = try time(text, parameter: "endTime")
            guard end > from else {
                throw LVBError(.invalidParameter, .invalidRecordTime, "endTime '\(text)' is not after startTime '\(startText)'")
            }
            until = end
        }
        let pageNo = try p.integer("pageNum", in: 1...1_000_000) ?? p.integer("pageNo", in: 1...1_000_000) ?? 1
        let pageSize = try p.integer("pageSize", in: 1...100) ?? 20
        let page = try await store.fragments(
            FragmentQuery(
                scope: .channel(channel.id), from: from * 1000, until: until.map { $0 * 1000 }, pageNo: pageNo,
                pageSize: pageSize
            )
        )
        return [
            ("totalCount", .int(Int64(page.totalCount))),
            ("total_count", .int(Int64(page.totalCount))),
            (
                "filesInfo",
                .array(
                    page.fragments.map { fragment in
                        var fields = fragmentFields(fragment, channelName: channel.name, request: request)
                        if case .object(var members) = fields {
                            members.insert(("taskId", .string(String(fragment.taskId))), at: 3)
                            members.insert(("reportMessage", .null), at: 4)
                            fields = .object(members)
                        }
                        return fields
                    }
                )
            ),
        ]
    }

    // MARK: Helpers

    /// `http://<host>:<port>/<vid>.f0.flv`, or `<vod-base-url>/<vid>.f0.flv`; with a play key,
    /// followed by `?t=…&sign=…` valid for the play URL lifetime from `now` (Unix seconds).
    public func playURL(vid: String, requestHost: String?, now: Int64) -> String {
        let path = "/\(vid)\(FragmentFileResponder.playSuffix)"
        let query = settings.playKey.map { "?" + LVBPlayAuth.query(key: $0, path: path, expiry: now + settings.playURLLifetime) }
        if let base = settings.vodBaseURL {
            return (base.hasSuffix("/") ? String(base.dropLast()) : base) + path + (query ?? "")
        }
        let host = LVBActionRequest.addressHost(publicHost: settings.publicHost, requestHost: requestHost)
        return "http://\(host):\(settings.httpPort)" + path + (query ?? "")
    }

    private func fragmentFields(_ fragment: RecordFragment, channelName: String?, request: LVBActionRequest) -> LVBJSON {
        let start = fragment.startTime / 1000
        let end = (fragment.endTime + 999) / 1000
        return .object([
            ("fileId", .string(fragment.fileId)),
            ("fileName", .string(Self.fileName(channelName: channelName ?? fragment.channelId, start: start, end: end, zone: settings.timeZone))),
            ("vid", .string(fragment.vid)),
            ("startTime", .string(LVBTime.format(start, in: settings.timeZone))),
            ("endTime", .string(LVBTime.format(end, in: settings.timeZone))),
            ("duration", .double(Double(fragment.duration) / 1000)),
            ("size", .int(fragment.size)),
            ("playUrl", .string(playURL(vid: fragment.vid, requestHost: request.requestHost, now: request.now))),
        ])
    }

    /// `直播 -<channel name>-<YYYYMMDD>-<HHMM>-<YYYYMMDD>-<HHMM>`, the documented pattern (spec §7).
    static func fileName(channelName: String, start: Int64, end: Int64, zone: LVBTimeZone) -> String {
        func stamp(_ time: Int64) -> String {
            let text = Array(LVBTime.format(time, in: zone))
            return String(text[0..<4] + text[5..<7] + text[8..<10]) + "-" + String(text[11..<13] + text[14..<16])
        }
        return "直播 -\(channelName)-\(stamp(start))-\(stamp(end))"
    }

    private func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }

    private func time(_ text: String, parameter: String) throws(LVBError) -> Int64 {
        guard let value = LVBTime.parse(text, in: settings.timeZone) else {
            throw LVBError(
                .invalidParameter, .invalidRecordTime,
                "\(parameter) '\(text.prefix(64))' is not a date-time: use YYYY-MM-DD HH:MM:SS (zone \(settings.timeZone)) or ISO-8601"
            )
        }
        return value
    }

    private func existingChannel(_ p: LVBParameters) async throws -> LiveChannel {
        try await store.existingChannel(named: p)
    }

    /// The task named by `taskId`, which must belong to `channelId`.
    private func existingTask(_ p: LVBParameters) async throws -> RecordTask {
        let channelId = try p.required("channelId")
        try ChannelActions.validateChannelId(channelId, parameter: "channelId")
        let text = try p.required("taskId")
        guard let id = Int64(text), id > 0 else {
            throw LVBError.invalidParameter("taskId", "'\(text.prefix(64))' is not a task id (a positive integer)")
        }
        guard let task = try await store.task(id: id), task.channelId == channelId else {
            throw Self.taskDoesNotExist(text)
        }
        return task
    }

    static func taskDoesNotExist(_ id: String) -> LVBError {
        LVBError(.invalidParameter, .recordTaskDoesNotExist, "record task '\(id)' does not exist on this channel")
    }
}
